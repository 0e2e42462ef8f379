# One image for every process: the web (gunicorn, the default command), the Celery worker and beat
# (compose.yaml gives each its command, the same as Procfile.production's). Everything that differs
# between deployments comes from the environment when a container starts; nothing secret is in the
# image. Build: docker build -t leadership .   (compose.yaml builds it too.)
FROM python:3.11-slim

ENV DJANGO_SETTINGS_MODULE=leadership.settings \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Every package is pinned (constraints.txt) and ships a wheel for Linux: nothing to compile.
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

COPY . .

# Static files are collected into the image; WhiteNoise serves them with hashed names. With DEBUG off
# the settings refuse to load without a secret key and host names: these two exist only for this
# command and are not kept in the image.
RUN DEBUG=false SECRET_KEY=collectstatic-at-build-only ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

# A user of its own, not root; it may write only uploaded files (media/, when no S3 bucket is set)
# and var/.
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app leadership \
    && mkdir -p /app/media /app/var \
    && chown leadership:leadership /app/media /app/var
USER leadership

# A release name for Sentry, e.g. docker build --build-arg RELEASE=$(git rev-parse --short HEAD) .
ARG RELEASE=""
ENV SENTRY_RELEASE=${RELEASE}

# gunicorn listens on $PORT (default 8000); see gunicorn.conf.py for the rest of its settings.
EXPOSE 8000
CMD ["gunicorn", "leadership.wsgi"]
