"""``gridbot nlp train`` / ``gridbot nlp evaluate FILE.jsonl``: the learned classifier's training and evaluation."""

from __future__ import annotations

import argparse
import json
import sys

from bot.config import Config


def _classifier(config: Config):
    from nlp import load_classifier

    return load_classifier(config.nlp.rules, config.nlp.userdict)


def cmd_nlp_evaluate(args: argparse.Namespace, config: Config) -> int:
    from nlp.evaluate import evaluate, load_jsonl, real_table

    if args.real_eval:
        from nlp.realdata import REAL_PATH, real_split

        if not REAL_PATH.exists():
            print(f"{REAL_PATH} is missing: the real corpus lies in ../shared/corpus beside the project",
                  file=sys.stderr)
            return 2
        records = real_split()[1]
    elif args.file is None:
        print("gridbot nlp evaluate: give FILE.jsonl or --real-eval", file=sys.stderr)
        return 2
    else:
        try:
            records = load_jsonl(args.file)
        except (OSError, ValueError) as e:
            print(f"gridbot nlp evaluate: {e}", file=sys.stderr)
            return 2
    clf = _classifier(config)
    try:
        report = evaluate(records, clf)
    except (KeyError, ValueError) as e:
        print(f"gridbot nlp evaluate: bad record: {e}", file=sys.stderr)
        return 2
    real = args.real_eval or any("source" in r for r in records)
    if args.json:
        doc = report.as_dict()
        doc["worst"] = report.worst(args.worst)
        if real:
            doc["real_table"] = real_table(records, clf).as_dict()
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    print(report.format())
    print()
    print(report.format_worst(args.worst))
    if real:
        print()
        print(real_table(records, clf).format())
    return 0


def cmd_nlp_train(args: argparse.Namespace, config: Config) -> int:
    try:
        from nlp.train import main as train_main
    except ImportError as e:
        print(f"gridbot nlp train needs the training extras (pip install -e '.[train]'): {e}", file=sys.stderr)
        return 2
    argv = ["--out", args.out] if args.out else []
    argv += ["--cv"] * args.cv + ["--source-heldout"] * args.source_heldout
    corrections = _corrections(config) if args.corrections else None
    return train_main(argv, corrections=corrections)


def _corrections(config: Config) -> list[tuple[str, str]]:
    """Labelled examples from the grid's own traffic: workers' 改类 and residents' clarifying answers."""
    from sqlmodel import select

    from storage.db import make_engine, session_factory
    from storage.models import Correction

    with session_factory(make_engine(config.storage.url))() as s:
        rows = s.exec(select(Correction).order_by(Correction.id)).all()
        return [(c.text, c.new_category) for c in rows]


def register(sub: argparse._SubParsersAction) -> None:
    nlp = sub.add_parser("nlp", help="the classifier's learned model: train, evaluate").add_subparsers(
        dest="nlp_command", required=True)
    tr = nlp.add_parser("train", help="rebuild nlp/data/model.bin from the data in the repository (deterministic)")
    tr.add_argument("--out", help="write the model here instead of nlp/data/model.bin")
    tr.add_argument("--cv", action="store_true", help="also print 5-fold cross-validation on the training data")
    tr.add_argument("--source-heldout", action="store_true",
                    help="also train without each real source and evaluate on that source")
    tr.add_argument("--corrections", action="store_true",
                    help="first merge the database's corrections (改类, answers to 不是/a category) into "
                         "tests/data/corrections.jsonl and train with them")
    tr.set_defaults(func=cmd_nlp_train)
    ev = nlp.add_parser("evaluate", help="per-label P/R/F1, confusion, false tickets, urgent P/R, worst examples")
    ev.add_argument("file", nargs="?", help="labelled JSONL: text, label (code, none or request), urgent")
    ev.add_argument("--real-eval", action="store_true", help="the frozen evaluation split of the real corpus")
    ev.add_argument("--worst", type=int, default=15, help="how many of the most confident mistakes to list")
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=cmd_nlp_evaluate)
