"""The bot's two goals in one run: the update pipeline beside a bare echo, then the sender.

    python bench/bot.py                  # full run: 3,000 updates; 3,000 messages to 1,000 chats
    python bench/bot.py --messages 300   # a quicker sender run

Prints figures and the machine; never fails for being slow.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bot_pipeline import run_pipeline_bench  # noqa: E402
from bot_sender import run_sender_bench  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--chats", type=int, default=1000)
    args = parser.parse_args()
    print("== pipeline (middlewares, NLU, engine, Redis state, send to a loopback fake Bot API)")
    run_pipeline_bench(updates=args.updates)
    print()
    print("== sender (fake Bot API enforcing 30 msg/s overall and 1 msg/s per chat)")
    run_sender_bench(messages=args.messages, chats=args.chats)


if __name__ == "__main__":
    main()
