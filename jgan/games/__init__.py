"""GAN variants as `Game`s over one shared step (`jgan.steps`): each module holds one paper's losses and inputs."""

from __future__ import annotations

from jgan.games.acgan import ACGAN
from jgan.games.base import Game
from jgan.games.cgan import ConditionalGAN
from jgan.games.gan import GAN
from jgan.games.infogan import InfoGAN
from jgan.games.ssgan import SSGAN
from jgan.games.wgan import WGAN
from jgan.games.wgan_gp import WGANGP

GAMES = {"wgan": WGAN, "gan": GAN, "cgan": ConditionalGAN, "acgan": ACGAN, "infogan": InfoGAN, "wgan_gp": WGANGP,
         "ssgan": SSGAN}

__all__ = ["ACGAN", "ConditionalGAN", "GAMES", "GAN", "Game", "InfoGAN", "SSGAN", "WGAN", "WGANGP", "from_config"]


def from_config(config, latent: str = "normal") -> Game:
  """The game `config.game` with its options from `config`; `latent` is the resolved noise distribution."""
  common = dict(latent_dim=config.latent_dim, latent=latent, clip_value=config.clip_value, packing=config.packing)
  cross_entropy = dict(g_loss=config.g_loss, real_label=config.real_label, feature_layer=config.feature_layer)
  if config.game == "wgan":
    return WGAN(**common)
  if config.game == "gan":
    return GAN(**common, **cross_entropy)
  if config.game == "cgan":
    return ConditionalGAN(**common, **cross_entropy, num_classes=config.num_classes)
  if config.game == "acgan":
    return ACGAN(**common, **cross_entropy, num_classes=config.num_classes, aux_weight=config.aux_weight)
  if config.game == "infogan":
    return InfoGAN(**common, **cross_entropy, categorical_codes=config.categorical_codes,
                   continuous_codes=config.continuous_codes, info_weight=config.info_weight)
  if config.game == "wgan_gp":
    return WGANGP(**common, gp_weight=config.gp_weight)
  if config.game == "ssgan":
    return SSGAN(**common, **cross_entropy, num_classes=config.num_classes)
  raise ValueError(f"unknown game {config.game!r}; expected one of {sorted(GAMES)}")
