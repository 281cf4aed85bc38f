"""`python -m jgan.edit`: project a real image into a trained generator and edit it under strokes (iGAN).

    python -m jgan.edit project --checkpoint RUN_DIR --image digit.png --out DIR [--label K]
    python -m jgan.edit apply --checkpoint RUN_DIR --image digit.png --color-strokes c.png --edge-strokes e.png \\
        --out DIR
    python -m jgan.edit train-encoder --checkpoint RUN_DIR --out encoder.msgpack [--steps 2000]

`--pretrained NAME` (jgan.pretrained, where present) replaces `--checkpoint`. The image has the generator's data
shape (28x28 grey for the digits, or its 32x32 output side); conditional generators need `--label`. Colour strokes:
a PNG of the same size with an alpha channel (alpha > 0 marks the strokes, their colour the target). Edge strokes: a
PNG of the same size whose drawn pixels (alpha > 0, or non-zero) are a line drawing whose edges the edit matches.

project writes projection.png (the projected image, the data's size), comparison.png (image | projection) and
projection.json (codes, losses, seconds); apply also writes edit.png, sequence.png / sequence.gif (projection to
edit) and edit.json (fraction of stroke pixels satisfied before / after, distance outside the strokes).
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import sys

import numpy as np

from jgan import cli as jgan_cli
from jgan.editing import api, constraints, encoder as encoders, features, generators, projection


def _add_model_flags(parser: argparse.ArgumentParser) -> None:
  source = parser.add_mutually_exclusive_group(required=True)
  source.add_argument("--checkpoint", help="run directory of a trained generator (or its checkpoints/ folder)")
  source.add_argument("--pretrained", help="name of a model of jgan.pretrained (e.g. dcgan-digits)")
  jgan_cli.add_compilation_cache_flags(parser)


def _add_projection_flags(parser: argparse.ArgumentParser) -> None:
  defaults = projection.ProjectionConfig()
  parser.add_argument("--image", required=True, help="the real image (PNG/JPEG) of the generator's data shape")
  parser.add_argument("--label", type=int, default=None, help="conditional generators: the image's class")
  parser.add_argument("--out", required=True, help="output folder")
  parser.add_argument("--solver", choices=projection.SOLVERS, default=None,
                      help="projection solver (default: hybrid with --encoder, else optimize)")
  parser.add_argument("--encoder", default=None, help="encoder weights written by train-encoder")
  parser.add_argument("--optimizer", choices=projection.OPTIMIZERS, default=defaults.optimizer,
                      help="optimiser of z (default: %(default)s)")
  parser.add_argument("--steps", type=int, default=defaults.steps, help="optimisation steps (default: %(default)s)")
  parser.add_argument("--starts", type=int, default=defaults.starts,
                      help="random starts of 'optimize' (default: %(default)s)")
  parser.add_argument("--learning-rate", type=float, default=None,
                      help="Adam's rate (default 0.05), or the scale of L-BFGS's trial steps (default 1)")
  parser.add_argument("--feature-weight", type=float, default=defaults.feature_weight,
                      help="weight of the feature distance (default: %(default)s)")
  parser.add_argument("--features", choices=features.NETWORKS, default="auto",
                      help="feature network (default: %(default)s: the digit classifier for digits)")
  parser.add_argument("--seed", type=int, default=0, help="seed of the random starts (default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(prog="python -m jgan.edit", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  commands = parser.add_subparsers(dest="command", required=True)
  project_parser = commands.add_parser("project", help="project an image onto the generator's manifold")
  _add_model_flags(project_parser)
  _add_projection_flags(project_parser)
  apply_parser = commands.add_parser("apply", help="project an image, then edit it under strokes")
  _add_model_flags(apply_parser)
  _add_projection_flags(apply_parser)
  edit_defaults = constraints.EditConfig()
  apply_parser.add_argument("--color-strokes", default=None, help="PNG with alpha: colour strokes")
  apply_parser.add_argument("--edge-strokes", default=None, help="PNG: a line drawing whose edges to match")
  apply_parser.add_argument("--edit-steps", type=int, default=edit_defaults.steps,
                            help="optimisation steps of the edit (default: %(default)s)")
  apply_parser.add_argument("--reg-weight", type=float, default=edit_defaults.reg_weight,
                            help="weight of ||z - z0||^2 (default: %(default)s)")
  apply_parser.add_argument("--color-weight", type=float, default=edit_defaults.color_weight)
  apply_parser.add_argument("--edge-weight", type=float, default=edit_defaults.edge_weight)
  apply_parser.add_argument("--sequence-steps", type=int, default=8,
                            help="frames from the projection to the edit (default: %(default)s)")
  encoder_parser = commands.add_parser("train-encoder", help="train the inverting encoder on generated pairs")
  _add_model_flags(encoder_parser)
  encoder_defaults = encoders.EncoderConfig()
  encoder_parser.add_argument("--out", required=True, help="weights file to write (and FILE.json)")
  encoder_parser.add_argument("--steps", type=int, default=encoder_defaults.steps)
  encoder_parser.add_argument("--batch-size", type=int, default=encoder_defaults.batch_size)
  encoder_parser.add_argument("--learning-rate", type=float, default=encoder_defaults.learning_rate)
  encoder_parser.add_argument("--seed", type=int, default=0)
  return parser


def main(argv: list[str] | None = None) -> int:
  args = build_parser().parse_args(argv)
  try:
    return _run(args)
  except ValueError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2


def _run(args: argparse.Namespace) -> int:
  # Everything the user gave is checked before the checkpoint is read or anything compiles.
  inputs = {"--image": getattr(args, "image", None), "--color-strokes": getattr(args, "color_strokes", None),
            "--edge-strokes": getattr(args, "edge_strokes", None), "--encoder": getattr(args, "encoder", None)}
  for flag, path in inputs.items():
    if path is not None and not pathlib.Path(path).is_file():
      raise ValueError(f"{flag} {path}: no such file")
  if args.command == "apply" and not (args.color_strokes or args.edge_strokes):
    raise ValueError("apply needs --color-strokes and/or --edge-strokes")
  if args.command == "train-encoder":
    config = encoders.EncoderConfig(steps=args.steps, batch_size=args.batch_size, learning_rate=args.learning_rate,
                                    seed=args.seed)
  else:
    solver = args.solver or ("hybrid" if args.encoder else "optimize")
    rate = args.learning_rate or (1.0 if args.optimizer.startswith("lbfgs") else 0.05)
    config = projection.ProjectionConfig(solver=solver, optimizer=args.optimizer, steps=args.steps,
                                         starts=args.starts, learning_rate=rate, feature_weight=args.feature_weight,
                                         seed=args.seed)
  run_dir = generators.resolve_run_dir(args.checkpoint, args.pretrained)
  jgan_cli.enable_compilation_cache(args)
  generator = generators.load(run_dir)
  if args.command == "train-encoder":
    trained = encoders.train(generator, config, log_every=max(1, config.steps // 20))
    trained.save(args.out)
    print(f"wrote {args.out}: encoder after {config.steps} steps, code MSE {trained.history[-1]['code_mse']:.4f}, "
          f"pixel MSE {trained.history[-1]['pixel_mse']:.4f}")
    return 0
  image = api.check_image_channels(api.read_image(args.image), generator, args.image)
  targets = projection.prepare_images(image[None], generator)  # shape errors before anything compiles
  if args.label is not None and not generator.conditional:
    raise ValueError(f"--label {args.label}: this generator is unconditional (it takes no class)")
  labels = projection.check_labels(None if args.label is None else [args.label], 1, generator)
  edit_config = None
  strokes = {}
  if args.command == "apply":
    edit_config = constraints.EditConfig(color_weight=args.color_weight, edge_weight=args.edge_weight,
                                         reg_weight=args.reg_weight, steps=args.edit_steps)
    strokes = {name: [api.read_image(path, what=name.replace("_", " "))] if path else None
               for name, path in (("color_strokes", args.color_strokes), ("edge_strokes", args.edge_strokes))}
  editor = api.Editor(generator, feature_network=args.features, projection_config=config,
                      encoder=encoders.load(args.encoder, generator) if args.encoder else None)
  if args.command == "apply":
    editor.make_constraints(strokes["color_strokes"], strokes["edge_strokes"], 1)  # stroke errors before compiling
  out = pathlib.Path(args.out)
  out.mkdir(parents=True, exist_ok=True)
  start = editor.project(image[None], labels)
  original = projection.to_source(targets, generator)
  projected = projection.to_source(start.images, generator)
  api.write_png(out / "projection.png", projected[0])
  api.write_png(out / "comparison.png", np.concatenate([original[0], projected[0]], axis=1))
  record = {"run_dir": str(run_dir), "image": args.image, "label": int(labels[0]), "generator": generator.name,
            "feature_network": editor.feature_network, "projection": dataclasses.asdict(config),
            "pixel_mse": float(start.pixel[0]), "feature_mse": float(start.feature[0]), "seconds": start.seconds,
            "free": start.free[0].tolist()}
  api.write_json(out / "projection.json", record)
  written = ["projection.png", "comparison.png", "projection.json"]
  if args.command == "apply":
    edit = editor.apply(start, config=edit_config, sequence_steps=args.sequence_steps, **strokes)
    edited = projection.to_source(edit.images, generator)
    api.write_png(out / "edit.png", edited[0])
    frames = projection.to_source(edit.sequence[0], generator)
    written += ["edit.png"] + api.write_sequence(out, np.concatenate([original, frames]))
    api.write_json(out / "edit.json", {**record, "edit": dataclasses.asdict(edit_config),
                                       "color_strokes": args.color_strokes, "edge_strokes": args.edge_strokes,
                                       **{k: v[0] for k, v in edit.metrics.items()}, "free_edit": edit.free[0]})
    written.append("edit.json")
    print(f"edit: colour pixels satisfied {edit.metrics['color_satisfied'][0]:.3f} (before "
          f"{edit.metrics['color_satisfied_before'][0]:.3f}), edge pixels {edit.metrics['edge_satisfied'][0]:.3f} "
          f"(before {edit.metrics['edge_satisfied_before'][0]:.3f}), mean |change| outside the strokes "
          f"{edit.metrics['outside_l1'][0]:.4f}")
  print(f"projection: pixel MSE {start.pixel[0]:.4f}, feature MSE {start.feature[0]:.4f} ({start.seconds:.1f} s)")
  print(f"wrote {', '.join(written)} in {out}")
  return 0
