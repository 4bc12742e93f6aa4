# Production image: gunicorn + whitenoise, every setting from the environment.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# The runtime packages only, exactly as locked: every file's hash is checked, and nothing for tests
# or measuring (pytest, Playwright, hypothesis: requirements-dev.lock) is in the image.
COPY requirements.lock .
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY . .
# Which build this is, in cache keys and ETags (config/release.py): `docker build --build-arg
# RELEASE_ID=$(git rev-parse --short HEAD)`. Left empty, each process uses a digest of the code.
ARG RELEASE_ID=""
ENV RELEASE_ID=${RELEASE_ID}
# collectstatic needs a key to import settings; it is not the runtime key.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 app && chown -R app /app
USER app

EXPOSE 8000
# Migrate, seed only a database that has never been seeded (a deploy never touches
# curators' content; see README "Deploy"), then serve.
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py loadseed --if-empty && exec gunicorn config.wsgi --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-2} --access-logfile -"]
