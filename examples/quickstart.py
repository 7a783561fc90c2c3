"""Quickstart: give an agent long-term memory of a real conversation, then use it.

    python examples/quickstart.py [--data PATH] [--conversation N] [--batch-size 100]

With no MEMANTO_BASE_URL set it starts the embedded LocalServer on a temporary SQLite file.
With MEMANTO_BASE_URL (and MOORCHEH_API_KEY) set it uses that server instead.

Every turn becomes a memory: its content '[<date>] <speaker>: <text>', the turn it answers as
its title, its dialogue id as its tag (memanto_client.datasets.locomo.turns_as_memories).

Data: one LoCoMo conversation ships in examples/data (LoCoMo, Snap Research, CC BY-NC 4.0;
see examples/data/NOTICE.md). --data takes any LoCoMo-format file.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

from memanto_client import Client, LocalServer, Session
from memanto_client.datasets.locomo import CATEGORIES, evidence_ids, load_samples, questions_with_evidence, turns_as_memories

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / "data" / "locomo-conv-26.json"


def load_conversation(path: Path, index: int) -> dict[str, Any]:
    samples = load_samples(path)
    if not 0 <= index < len(samples):
        sys.exit(f"{path} holds {len(samples)} conversation(s); --conversation {index} is out of range")
    return samples[index]


def connect(stack: ExitStack, api_version: Literal["0.0", "0.2"] | None) -> Client:
    if os.environ.get("MEMANTO_BASE_URL"):
        # MEMANTO_BASE_URL and MOORCHEH_API_KEY from the environment; the generation is found
        # from GET / unless --api-version pins it.
        client = Client(api_version=api_version)
        print(f"Server: {client.base_url} (from MEMANTO_BASE_URL)")
    else:
        # --api-version 0.0 / 0.2: a LocalServer that imitates that generation strictly.
        server = stack.enter_context(LocalServer(api_version=api_version))
        kind = f"imitating Memanto {api_version}.x strictly" if api_version else "serving both API generations"
        print(f"Server: embedded LocalServer at {server.url} ({kind}; temporary SQLite file)")
        client = Client(api_key=server.api_key, base_url=server.url)
    info = client.detect_server()
    print(f"Speaking API generation {info.generation} (server version {info.version or 'pinned'})")
    return client


def ingest(session: Session, memories: list[dict[str, Any]], batch_size: int) -> float:
    start = time.perf_counter()
    stored = 0
    for i in range(0, len(memories), batch_size):
        result = session.batch_remember(memories[i : i + batch_size])
        stored += result.successful
    elapsed = time.perf_counter() - start
    print(f"Stored {stored} of {len(memories)} turns as memories in {elapsed:.2f} s "
          f"({stored / elapsed:.0f} memories/s, batches of {batch_size})")
    return elapsed


def ask_all(session: Session, questions: list[dict[str, Any]], k: int) -> None:
    start = time.perf_counter()
    hits = 0
    per_cat: dict[int, list[bool]] = {}
    for qa in questions:
        recalled = session.recall(qa["question"][:1000], limit=k)
        found = any(set(m.tags) & evidence_ids(qa) for m in recalled)
        hits += found
        per_cat.setdefault(qa.get("category", 0), []).append(found)
    elapsed = time.perf_counter() - start
    n = len(questions)
    print(f"\nAsked {n} questions with recall (top {k}) in {elapsed:.2f} s "
          f"({elapsed / max(n, 1) * 1000:.1f} ms per question)")
    print(f"Evidence hit rate: {hits}/{n} = {hits / max(n, 1):.1%} "
          "(a recalled memory carries one of the question's evidence dialogue ids)")
    for cat in sorted(per_cat):
        flags = per_cat[cat]
        print(f"  {CATEGORIES.get(cat, f'category {cat}'):>12}: {sum(flags)}/{len(flags)} = {sum(flags) / len(flags):.1%}")


def show_answers(session: Session, questions: list[dict[str, Any]]) -> None:
    print("\nAnswers (LocalServer answers are extractive: built from recalled memories, no LLM):")
    for qa in questions:
        answer = session.answer(qa["question"], limit=3)
        print(f"\n  Q: {qa['question']}")
        text = " / ".join(line.strip() for line in answer.answer.splitlines() if line.strip())
        print(f"  A: {text[:300]}{'…' if len(text) > 300 else ''}")
        print(f"  expected: {qa.get('answer', qa.get('adversarial_answer'))} (evidence {', '.join(sorted(evidence_ids(qa)))})")
        for m in answer.sources[:3]:
            score = f"{m.score:.2f}" if m.score is not None else "-"
            print(f"    [{', '.join(m.tags)}] score {score}: {m.content[:90]}")


def client_generation(session: Session) -> str | None:
    return session.server.generation if session.server else None


def show_session(session: Session) -> None:
    c = session.claims
    print("\nSession token claims (decoded locally; the token itself is never printed):")
    print(f"  agent_id:       {c.agent_id}")
    print(f"  session_id:     {c.session_id}")
    print(f"  expires_at:     {c.expires_at.isoformat()}")
    print(f"  time remaining: {str(c.time_remaining).split('.')[0]}")
    if client_generation(session) == "0.2":
        # 0.2.x has no extend: the session renews by activating again (a new session id).
        record = session.extend()
        print(f"Renewed (0.2.x: activated again, the server's 6 hours): expires_at now "
              f"{session.expires_at.isoformat()}, session {record.session_id}")
    else:
        record = session.extend(hours=1)
        print(f"Extended by 1 hour: expires_at now {session.expires_at.isoformat()}"
              f" (server record: {record.expires_at.isoformat() if record.expires_at else '-'})")
    info = session.current()
    print(f"current(): session {info.session_id}, status {info.status}, "
          f"{info.time_remaining_seconds} s remaining")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a LoCoMo-format JSON file")
    parser.add_argument("--conversation", type=int, default=0, help="which conversation in the file")
    parser.add_argument("--batch-size", type=int, default=100, help="memories per batch-remember (1..100)")
    parser.add_argument("--top-k", type=int, default=5, help="memories recalled per question")
    parser.add_argument("--keep-agent", action="store_true", help="do not delete the agent at the end")
    parser.add_argument("--api-version", choices=["0.0", "0.2"], default=None,
                        help="server generation: the embedded LocalServer imitates it strictly "
                             "(default: a LocalServer serving both; with MEMANTO_BASE_URL: found from GET /)")
    args = parser.parse_args()

    total_start = time.perf_counter()
    sample = load_conversation(args.data, args.conversation)
    memories = turns_as_memories(sample)
    questions = questions_with_evidence(sample)
    conv = sample["conversation"]
    print(f"Conversation {sample.get('sample_id', args.conversation)} between {conv.get('speaker_a')} "
          f"and {conv.get('speaker_b')}: {len(memories)} turns, {len(questions)} questions with evidence")

    with ExitStack() as stack:
        client = connect(stack, args.api_version)
        agent_id = f"locomo-{sample.get('sample_id', 'conv')}-{uuid.uuid4().hex[:8]}"
        agent = client.agents.create(agent_id, pattern="project", description="LoCoMo quickstart")
        print(f"Created agent {agent.agent_id}")
        try:
            with agent.activate() as session:
                print(f"Activated: {session!r}")
                ingest(session, memories, args.batch_size)
                ask_all(session, questions, args.top_k)
                show_answers(session, [q for q in questions if q.get("category") in (1, 4)][:3] or questions[:3])
                show_session(session)
            print(f"Deactivated: session active = {session.is_active}")
        finally:
            if not args.keep_agent:
                agent.delete()
    print(f"\nTotal time {time.perf_counter() - total_start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
