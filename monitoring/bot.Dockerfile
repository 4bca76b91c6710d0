# The paper bot's image for the compose profile "bot" (docker-compose.yml builds it with the
# repository as context). Dependencies first, so a code change does not reinstall them.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY pyproject.toml README.md ./
COPY backtrader_engine ./backtrader_engine
RUN pip install --no-cache-dir --no-deps -e .
COPY configs ./configs
ENTRYPOINT ["python", "-m", "backtrader_engine"]
CMD ["paper", "--metrics-host", "0.0.0.0"]
