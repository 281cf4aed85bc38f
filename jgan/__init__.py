"""jgan: generative adversarial networks in JAX/Flax.

    from jgan import train
    from jgan.configs.wgan import WGANConfig
    state = train.run(WGANConfig(steps=500), "runs/wgan/demo")

Where things are: losses in `jgan.losses`, Optax transforms in `jgan.transforms`, nets in `jgan.models`, the train
step in `jgan.steps`, states in `jgan.state`, data in `jgan.data`, the loop in `jgan.train`, configs in
`jgan.configs`, experiments (`python -m jgan.experiments.NAME`) in `jgan.experiments`.
"""

__version__ = "0.1.0"
