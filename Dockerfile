# lstm-viz in a container: the README's two commands (install, run) on a slim Python, as a non-root user.
#
#   docker build -t lstm-viz .
#   docker run --rm -p 8501:8501 lstm-viz                  # then open http://localhost:8501
#   docker run --rm -p 8080:8080 -e PORT=8080 -e LSTM_VIZ_TRAINING_SLOTS=1 lstm-viz
#
# One container is one Streamlit process, and a visitor's session lives in that process: to run several,
# put them behind a proxy with sticky sessions and websockets passed through (README, "More than one server").
FROM python:3.11-slim

# Unbuffered logs; no .pyc layers or pip cache in the image; one BLAS thread per process (app.py sets the
# same: the engine's small products run up to 4x slower with two); the port the command below listens on.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    PORT=8501

# A user without a password or a shell login; the app writes nothing to disk, so the code stays root-owned
# and read-only to it.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app

WORKDIR /app
# Requirements first: code changes do not reinstall the dependencies.
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .

USER app
EXPOSE 8501

# Streamlit answers "ok" on /_stcore/health once it serves. The slim image has no curl: Python asks instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8501') + '/_stcore/health', timeout=4)"]

# The README's run command. exec: Streamlit becomes PID 1 and gets the SIGTERM of `docker stop` itself.
CMD ["sh", "-c", "exec streamlit run app.py --server.port \"$PORT\" --server.address 0.0.0.0"]
