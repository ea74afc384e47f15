"""Prometheus metrics of one app (its own registry, no process globals) and the middleware that records requests."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragkit.answer import Answer
from ragkit.server.usage import tokens_of

LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Metrics:
    """Request counts and latencies per route, answers' tokens, refusals, guardrail replacements and cache hits,
    feedback, queue depth."""

    def __init__(self, queue_depth: Callable[[], float], busy: Callable[[], float]):
        self.registry = CollectorRegistry()
        self.requests = Counter("ragkit_serve_requests", "HTTP requests by route template, method and status",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("ragkit_serve_request_seconds", "HTTP request latency (streams: until the end)",
                                 ["route", "method"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.answers = Counter("ragkit_serve_answers", "Answers given, per knowledge base", ["index"],
                               registry=self.registry)
        self.tokens = Counter("ragkit_serve_tokens", "Tokens of the answers' generations: kind=prompt (read) or "
                              "completion (generated)", ["index", "kind"], registry=self.registry)
        self.refusals = Counter("ragkit_serve_refusals", "Answers with nothing relevant found (found=false)",
                                ["index"], registry=self.registry)
        self.guardrail = Counter("ragkit_serve_guardrail_replacements",
                                 "Replies replaced by a quoted passage (extractive=true)", ["index"],
                                 registry=self.registry)
        self.cache_hits = Counter("ragkit_serve_cache_hits", "Answers served from the answer cache (cached=true)",
                                  ["index"], registry=self.registry)
        self.feedback = Counter("ragkit_serve_feedback", "Feedback on answers, by rating (up or down)",
                                ["index", "rating"], registry=self.registry)
        self.rejected = Counter("ragkit_serve_rejected", "Requests refused with 503 because the queue was full",
                                registry=self.registry)
        Gauge("ragkit_serve_queue_depth", "Generations waiting for a model worker",
              registry=self.registry).set_function(queue_depth)
        Gauge("ragkit_serve_busy_workers", "Model workers generating now", registry=self.registry).set_function(busy)

    def answered(self, index: str, answer: Answer) -> None:
        """Count one finished answer, a cache hit, and the tokens its generations used (none for a hit)."""
        self.answers.labels(index).inc()
        if answer.cached:
            self.cache_hits.labels(index).inc()
        tokens = tokens_of(answer.timings)
        if tokens is not None and not answer.cached:
            self.tokens.labels(index, "prompt").inc(tokens[0])
            self.tokens.labels(index, "completion").inc(tokens[1])
        if not answer.found:
            self.refusals.labels(index).inc()
        if answer.extractive:
            self.guardrail.labels(index).inc()


class RequestMetrics:
    """ASGI middleware: count and time every HTTP request by its route template (not its raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.latency.labels(route, scope["method"]).observe(time.perf_counter() - started)
