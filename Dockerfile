FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY mockapi ./mockapi
COPY fixtures ./fixtures
# /shared: where a named volume mounted for --data-dir (examples/compose.yaml) takes its owner from.
# Bytecode compiled once at build: PYTHONDONTWRITEBYTECODE would have every start compile every module.
RUN pip install --no-cache-dir . \
    && (python -m compileall -q /usr/local/lib/python3.11/site-packages > /dev/null || true) \
    && useradd --create-home --uid 10001 mockapi \
    && install -d -o mockapi -g mockapi /shared

USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"]
CMD ["mockapi", "serve", "--host", "0.0.0.0"]
