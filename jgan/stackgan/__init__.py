"""StackGAN (Zhang et al. 2017, "StackGAN: Text to Photo-realistic Image Synthesis with Stacked Generative
Adversarial Networks", arXiv:1612.03242) on captioned digits.

captions.py (attributes measured on each digit, and captions made from them by templates with synonyms),
text_encoder.py (the caption -> embedding net, trained at the start of Stage I and then fixed), nets.py
(conditioning augmentation, the Stage-I and Stage-II generators, the text-aware discriminators), config.py,
stackgan.py (the losses and the training step), experiment.py (runs over the shared loop, scores), cli.py.
Commands: `python -m jgan.experiments.stackgan --stage 1|2`,
`python -m jgan.generate --checkpoint DIR --text "a thin 3"`.
"""
