"""Integrations with agent frameworks. Each lives in its own module and imports its framework
only when used (``pip install 'memanto-client[langchain]'``)."""
