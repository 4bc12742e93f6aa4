"""Report, per seeded service, every fact's citation of the needs assessment and whether it holds."""
import yaml
from django.core.management.base import BaseCommand, CommandError

from directory.models import SourceKind
from directory.seed import loader
from directory.seed.citations import SourceText, citation_problems


class Command(BaseCommand):
    help = (
        "Check the seed's citations (fixtures/seed_services.yaml) against the needs assessment "
        "(fixtures/needs_assessment.md): each excerpt must be in the section it names, word for word, and "
        "the value must be visibly in the excerpt. Prints a line per service; exits 1 if any citation fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("--verbose", action="store_true", help="Also list every citation that holds.")

    def handle(self, *args, **options):
        services = yaml.safe_load((loader.FIXTURES / loader.SERVICES_FILE).read_text(encoding="utf-8"))["services"]
        source = SourceText((loader.FIXTURES / loader.SOURCE_FILE).read_text(encoding="utf-8"))
        failures = quoted = inferred = 0
        for entry in services:
            results = citation_problems(entry, source)
            bad = [(c, p) for c, p in results if p]
            quoted_here = sum(1 for c, p in results if c.kind == SourceKind.NEEDS_ASSESSMENT and not p)
            inferred_here = sum(1 for c, _ in results if c.kind == SourceKind.INFERRED)
            quoted += quoted_here
            inferred += inferred_here
            failures += len(bad)
            self.stdout.write(f"{entry['key']}: {quoted_here} quoted, {inferred_here} inferred, {len(bad)} failing")
            for citation, problems in results:
                if problems or options["verbose"]:
                    self.stdout.write(f"  {citation.label} [{citation.section or citation.kind}]: "
                                      + ("; ".join(problems) if problems else "holds"))
        self.stdout.write(f"Total: {quoted} facts with a verbatim excerpt, {inferred} inferred, {failures} failing.")
        if failures:
            raise CommandError(f"{failures} citation(s) do not hold.")
