"""Plain text from a foreign feed's HTML (issue 25).

Other directories put HTML in descriptions (`<p>`, `<br>`, `<a href>`, `<ul><li>`, entities).
We store and publish plain text, so an import converts it: paragraphs and line breaks stay as
blank lines and new lines, list items become "- " lines, a link keeps its words and its address
("words (https://...)"), everything else (tags, scripts, styles, comments) goes; entities are
decoded. Text without markup is returned as it is.
"""
import re
from html import unescape
from html.parser import HTMLParser

# Something that looks like a tag or an entity: only then is the text parsed as HTML.
MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|<!--|&(?:[a-zA-Z]{2,8}|#\d{1,6}|#x[0-9a-fA-F]{1,6});")
BLOCKS = {"p", "div", "section", "article", "header", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
          "table", "tr", "blockquote", "address", "pre", "dl"}
DROPPED = {"script", "style", "head", "title", "template", "noscript", "iframe", "object", "svg"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.links, self.skipping = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED:
            self.skipping += 1
        elif tag in BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th", "dd", "dt"):
            self.parts.append(" ")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "").strip())
            self.parts.append("\x01")  # where the link's words start

    def handle_startendtag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in DROPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            start = len(self.parts) - 1 - self.parts[::-1].index("\x01") if "\x01" in self.parts else len(self.parts)
            words = "".join(self.parts[start + 1:]).strip()
            self.parts[start:] = [_link(words, href)]

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def _link(words, href):
    if not href.lower().startswith(("http://", "https://", "mailto:", "tel:")):
        return words
    address = href.removeprefix("mailto:").removeprefix("tel:")
    if not words or words == address or words == href:
        return address
    return f"{words} ({address})"


def has_markup(text):
    return bool(MARKUP.search(text or ""))


def plain_text(text):
    """`text` with any HTML turned into plain text (see the module docstring)."""
    if not has_markup(text):
        return text
    parser = _Text()
    parser.feed(text)
    parser.close()
    result = "".join(part for part in parser.parts if part != "\x01")
    result = unescape(result).replace("\xa0", " ")
    lines = [" ".join(line.split()) if not line.lstrip().startswith("- ") else "- " + " ".join(line.split()[1:])
             for line in result.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
