"""ProGAN's phases and the training step of one stage (Karras et al. 2018, arXiv:1710.10196, Sec. 2 and A.1).

One iteration, as the official `train.py` (D_repeats 1): the critic's step on a real batch and a fresh fake batch,
minimizing E D(G(z)) - E D(x) + lambda E (||grad D(x_hat)|| - 1)^2 + epsilon_drift E D(x)^2 (WGAN-GP, Gulrajani et
al. 2017, Eq. 3, plus the drift term of Appendix A.1), then the generator's step on new latents, minimizing
-E D(G(z)). Both nets run at the stage's resolution; while a resolution fades in, both interpolate with the same
alpha = (step - stage start) / stage length, and so do the real images: (1 - alpha) upsample(downsample(x)) +
alpha x, as the official code blends the reals of a fractional level of detail. At the first iteration of each
stage after the first, both Adam states restart (`reset_opt_for_new_lod`), since a new block's moments would
otherwise start from zeros with a long-run bias correction. Every key comes from the state's key and step; the
real batch is position `step - stage start` of the stage's own shuffled stream: a resume anywhere is exact.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jgan import losses, parallel
from jgan.data.source import Source
from jgan.games.wgan_gp import gradient_penalty
from jgan.progan import nets
from jgan.progan.config import ProGANConfig
from jgan.progan.schedule import Stage
from jgan.state import MultiNetState, Net, Phase
from jgan.updates import phase_update, stream_key

_DATA, _D_NOISE, _G_NOISE = range(3)


def build_nets(config: ProGANConfig, channels: int) -> dict[str, tuple[object, jax.Array]]:
  """{name: (module, example input)}: initialised at the final resolution, which creates every block."""
  common = dict(image_size=config.image_size, channels=channels, feature_base=config.feature_base,
                feature_max=config.feature_max, start_size=config.start_size)
  size = config.image_size
  return {"generator": (nets.ProgressiveGenerator(**common), jnp.zeros((1, config.latent_dim))),
          "discriminator": (nets.ProgressiveDiscriminator(**common, mbstd_group=config.mbstd_group),
                            jnp.zeros((1, size, size, channels)))}


def make_phases(config: ProGANConfig) -> tuple[Phase, ...]:
  """The critic's and the generator's phases, each with its own Adam (beta1 0, beta2 0.99 by default)."""
  return (Phase("discriminator", ("discriminator",), config.adam()),
          Phase("generator", ("generator",), config.adam()))


def create_state(config: ProGANConfig, channels: int, rng: jax.Array) -> MultiNetState:
  """Both nets with every block, from `rng` (its first split initialises, the second drives the run)."""
  init_rng, run_rng = jax.random.split(rng)
  state_nets = {}
  for i, (name, (module, example)) in enumerate(build_nets(config, channels).items()):
    params = module.init(jax.random.fold_in(init_rng, i), example)["params"]
    state_nets[name] = Net(params=params, batch_stats={}, apply_fn=module.apply)
  return MultiNetState.create(state_nets, make_phases(config), run_rng)


def alpha_at(step: jax.Array, stage: Stage) -> jax.Array:
  """The fade-in weight of iteration `step`: rises linearly from 0 at the stage's start towards 1."""
  if not stage.fading:
    return jnp.ones((), jnp.float32)
  return jnp.clip((step - stage.start).astype(jnp.float32) / stage.length, 0.0, 1.0)


def real_images(x: jax.Array, stage: Stage, alpha: jax.Array) -> jax.Array:
  """Full-size reals in [-1, 1] -> the stage's resolution (box downsampling), blended while fading."""
  x = nets.downscale(x, x.shape[1] // stage.resolution) if x.shape[1] > stage.resolution else x
  if stage.fading:
    x = nets.lerp(nets.upscale(nets.downscale(x)), x, alpha)
  return x


def generate(state: MultiNetState, z: jax.Array, stage: Stage, alpha: jax.Array | float,
             params=None) -> jax.Array:
  """G(z) at the stage's resolution and alpha."""
  g = state.nets["generator"]
  return g.apply_fn({"params": g.params if params is None else params}, z, resolution=stage.resolution,
                    fading=stage.fading, alpha=alpha)


def critic(state: MultiNetState, params, images: jax.Array, stage: Stage, alpha: jax.Array) -> jax.Array:
  return state.nets["discriminator"].apply_fn({"params": params}, images, fading=stage.fading, alpha=alpha)


def _restart_optimizers(state: MultiNetState, now: jax.Array) -> MultiNetState:
  """Both phases' optimizer states fresh where `now`, unchanged elsewhere (a select, not a branch)."""
  fresh = {p.name: p.tx.init(state.params(p.name)) for p in state.phases}
  return state.replace(opt_states=jax.tree.map(lambda f, o: jnp.where(now, f, o), fresh, state.opt_states))


def latents(rng: jax.Array, batch_size: int, latent_dim: int, axis_name: str | None) -> jax.Array:
  """This device's rows of the global batch of z ~ N(0, I) drawn from `rng`."""
  return parallel.local_slice(jax.random.normal(rng, (batch_size, latent_dim)), axis_name)


def train_step(state: MultiNetState, source: Source, *, config: ProGANConfig, stage: Stage,
               axis_name: str | None = None) -> tuple[MultiNetState, dict[str, jax.Array]]:
  """One iteration of `stage`: the critic's step, then the generator's (see the module docstring)."""
  step, batch = state.step, stage.batch_size
  alpha = alpha_at(step, stage)
  if config.reset_optimizer and stage.start > 0:
    state = _restart_optimizers(state, step == stage.start)
  data_rng = jax.random.fold_in(stream_key(state.rng, _DATA, 0), stage.index)
  real = real_images(source.batch(data_rng, step - stage.start, batch, axis_name)["x"], stage, alpha)
  d_rng = stream_key(state.rng, _D_NOISE, step)
  z_rng, eps_rng = jax.random.split(d_rng)
  fake = jax.lax.stop_gradient(generate(state, latents(z_rng, batch, config.latent_dim, axis_name), stage, alpha))
  eps = parallel.local_slice(jax.random.uniform(eps_rng, (batch,)), axis_name)[:, None, None, None]

  def d_loss_fn(params):
    p = params["discriminator"]
    d_real, d_fake = critic(state, p, real, stage, alpha), critic(state, p, fake, stage, alpha)
    wasserstein_loss = jnp.mean(losses.wasserstein_discriminator_loss(d_real, d_fake))
    penalty, norm = gradient_penalty(lambda x: critic(state, p, x, stage, alpha), eps * real + (1 - eps) * fake)
    drift = jnp.mean(jnp.square(d_real))
    loss = wasserstein_loss + config.gp_weight * penalty + config.drift * drift
    return loss, {"metrics": {"d_loss": loss, "wasserstein": -wasserstein_loss, "gradient_penalty": penalty,
                              "gradient_norm": norm, "drift": drift}}

  state, d_out = phase_update(state, "discriminator", d_loss_fn, axis_name=axis_name, prefix="d")
  z = latents(stream_key(state.rng, _G_NOISE, step), batch, config.latent_dim, axis_name)

  def g_loss_fn(params):
    images = generate(state, z, stage, alpha, params=params["generator"])
    loss = jnp.mean(losses.wasserstein_generator_loss(critic(state, state.nets["discriminator"].params, images,
                                                             stage, alpha)))
    return loss, {"metrics": {"g_loss": loss}}

  state, g_out = phase_update(state, "generator", g_loss_fn, axis_name=axis_name, prefix="g")
  metrics = {**d_out["metrics"], **g_out["metrics"], "alpha": alpha}
  return state.replace(step=state.step + 1), parallel.pmean(metrics, axis_name)
