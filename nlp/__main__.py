"""Developer CLI: ``python3 -m nlp classify TEXT...`` / ``eval FILE.jsonl [-v]`` / ``train [--cv]``.

``gridbot nlp train`` / ``gridbot nlp evaluate`` are the same with the configured rules.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nlp.classifier import load_classifier
from nlp.evaluate import evaluate, load_jsonl


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:
        from nlp.train import main as train_main

        return train_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python3 -m nlp")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_cls = sub.add_parser("classify", help="classify messages (arguments or stdin lines)")
    p_cls.add_argument("text", nargs="*")
    p_eval = sub.add_parser("eval", aliases=["evaluate"], help="evaluate on a labelled JSONL file")
    p_eval.add_argument("file", type=Path)
    p_eval.add_argument("-v", "--verbose", action="store_true", help="list misclassified messages")
    sub.add_parser("train", help="retrain the learned model nlp/data/model.bin (--cv: cross-validation)")
    args = parser.parse_args(argv)
    clf = load_classifier()
    if args.cmd == "classify":
        texts = args.text or [line.rstrip("\n") for line in sys.stdin if line.strip()]
        for text in texts:
            print(json.dumps(clf.classify(text).as_dict(text), ensure_ascii=False))
        return 0
    report = evaluate(load_jsonl(args.file), clf)
    print(report.format())
    print()
    print(report.format_worst())
    if args.verbose:
        print("\nerrors:")
        for err in report.errors:
            print(json.dumps(err, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
