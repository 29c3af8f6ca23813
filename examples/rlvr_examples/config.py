"""The pipeline config: one YAML file describing the stages, plus a hardware profile.

Precedence, lowest first::

    profile (examples/configs/profiles/<name>.yaml: model + per-stage-kind defaults)
      < pipeline file (stages, datasets, rewards, training keys)
      < --set KEY=VALUE on the command line
      < --smoke overrides (tiny local model, bundled samples, 1-2 steps on CPU)

A pipeline file::

    name: r1_math
    output_dir: runs/r1_math
    profile: t4
    backend: auto                 # auto | unsloth | trl
    report_to: none               # none | tensorboard | wandb | swanlab (comma-separated)
    stages:
      - name: cold_start
        kind: sft                 # sft | grpo | rejection_sampling
        datasets: [{source: bespokelabs/Bespoke-Stratos-17k, layout: bespoke_stratos, limit: 2000}]
        train: {num_train_epochs: 1, learning_rate: 1.0e-4}
      - name: grpo_math
        kind: grpo
        init_from: cold_start      # a stage name, an adapter path, or "base"
        datasets: [{source: openai/gsm8k, config_name: main, layout: gsm8k}]
        rewards: open_r1_math      # a preset, a list of reward specs, or a stack mapping
        train: {max_steps: 300}

``--set`` addresses stages by name: ``--set stages.grpo_math.train.max_steps=10``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "CONFIG_DIR",
    "DATA_DIR",
    "ConfigError",
    "DatasetConfig",
    "ModelConfig",
    "PipelineConfig",
    "SamplingConfig",
    "StageConfig",
    "apply_overrides",
    "deep_merge",
    "load_pipeline_config",
]

EXAMPLES_DIR = Path(__file__).resolve().parent.parent
CONFIG_DIR = EXAMPLES_DIR / "configs"
PROFILE_DIR = CONFIG_DIR / "profiles"
DATA_DIR = EXAMPLES_DIR / "data"

DEFAULT_TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class ConfigError(ValueError):
    """The pipeline config is invalid (message names the file, key and fix)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfig(_Strict):
    """The model and its LoRA adapter (the same for every stage of a pipeline)."""

    name: str = Field(description="Hub name or local path of the base model.")
    max_seq_length: int = 2048
    load_in_4bit: bool = False
    lora_rank: int = 16
    lora_alpha: int | None = Field(default=None, description="Default: 2 * lora_rank.")
    lora_dropout: float = 0.0
    target_modules: list[str] = Field(default_factory=lambda: list(DEFAULT_TARGET_MODULES))
    gradient_checkpointing: bool = True
    fast_inference: bool = Field(default=False, description="Unsloth only: vLLM generation (fast_inference=True).")
    gpu_memory_utilization: float = Field(default=0.6, description="Unsloth + vLLM: share of GPU memory vLLM may take.")
    precision: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    chat_template: str | None = Field(default=None, description="Jinja template for base models without one.")
    save: Literal["lora", "merged", "both"] = Field(default="lora", description="What each training stage writes.")

    @property
    def alpha(self) -> int:
        return self.lora_alpha if self.lora_alpha is not None else 2 * self.lora_rank


class DatasetConfig(_Strict):
    """One dataset: where it comes from and its layout (see ``rlvr_examples.converters``)."""

    source: str = Field(description="Hub name, local .jsonl/.json/.parquet path, '@stage' (a rejection-sampling "
                        "stage's output) or 'rlvr:countdown' (rlvr's seeded countdown generator).")
    layout: str
    config_name: str | None = None
    split: str = "train"
    limit: int | None = None
    system_prompt: str | None = Field(default=None, description="None: the layout's default; '': no system turn.")
    sample: str | None = Field(default=None, description="Bundled sample used by --smoke (default: the layout's).")
    generate: dict[str, Any] = Field(default_factory=dict, description="rlvr:countdown: n, seed and "
                                     "rlvr.tasks.countdown.CountdownTaskConfig fields.")

    @field_validator("layout")
    @classmethod
    def _known_layout(cls, v: str) -> str:
        from rlvr_examples.converters import LAYOUTS

        if v not in LAYOUTS:
            raise ValueError(f"unknown layout {v!r}; known: {', '.join(sorted(LAYOUTS))}")
        return v


class SamplingConfig(_Strict):
    """Rejection sampling: k samples per prompt, kept when every ``accept`` threshold holds."""

    k: int = Field(default=4, ge=1)
    temperature: float = 0.8
    top_p: float = 0.95
    max_new_tokens: int = 1024
    batch_size: int = Field(default=4, ge=1, description="Prompts per generate call (each yields k samples).")
    accept: dict[str, float] = Field(default_factory=lambda: {"math_accuracy": 1.0},
                                     description="reward name -> minimum value; all must hold.")
    max_kept_per_prompt: int | None = 2
    dedupe: bool = True


class StageConfig(_Strict):
    name: str
    kind: Literal["sft", "grpo", "rejection_sampling"]
    init_from: str | None = Field(default=None, description="None/'base': a fresh LoRA; a stage name or adapter path: continue it.")
    datasets: list[DatasetConfig]
    rewards: Any = None
    train: dict[str, Any] = Field(default_factory=dict, description="SFTConfig/GRPOConfig keywords.")
    sampling: SamplingConfig | None = None
    max_prompt_length: int | None = Field(default=None, description="Prompts with more tokens are dropped (both TRL versions).")
    shuffle_seed: int | None = 0

    @field_validator("datasets")
    @classmethod
    def _some(cls, v: list[DatasetConfig]) -> list[DatasetConfig]:
        if not v:
            raise ValueError("a stage needs at least one dataset")
        return v


class PipelineConfig(_Strict):
    name: str
    output_dir: str
    profile: str | None = None
    backend: Literal["auto", "unsloth", "trl"] = "auto"
    seed: int = 42
    report_to: str = "none"
    resume: bool = True
    isolate_stages: Literal["auto", "yes", "no"] = Field(
        default="auto", description="Run each stage in its own process (auto: yes with Unsloth, which keeps GPU state).")
    model: ModelConfig
    stages: list[StageConfig]
    stage_defaults: dict[str, Any] = Field(default_factory=dict, description="Per stage kind defaults (from the profile).")
    source_file: str | None = None

    def stage(self, name: str) -> StageConfig:
        for s in self.stages:
            if s.name == name:
                return s
        raise ConfigError(f"no stage named {name!r}; stages: {[s.name for s in self.stages]}")


# ------------------------------------------------------------------------------------------ merging
def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` wins; mappings merge recursively; lists and scalars are replaced."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _yaml_loader() -> Any:
    """SafeLoader that also reads ``1e-5`` as a float (YAML 1.1 wants ``1.0e-5``)."""
    import re

    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
        list("-+0123456789"),
    )
    return Loader


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_yaml_loader())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def profile_path(profile: str) -> Path:
    p = Path(profile)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    candidate = PROFILE_DIR / f"{profile}.yaml"
    if not candidate.exists():
        known = sorted(f.stem for f in PROFILE_DIR.glob("*.yaml"))
        raise ConfigError(f"unknown profile {profile!r}; known profiles: {', '.join(known)} (or pass a .yaml path)")
    return candidate


def _parse_scalar(text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())
    except yaml.YAMLError:
        return text


def apply_overrides(raw: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
    """Apply ``KEY=VALUE`` assignments (dotted keys; values parsed as YAML; stages by name)."""
    raw = copy.deepcopy(raw)
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects KEY=VALUE, got {assignment!r}")
        parts = key.strip().split(".")
        node: Any = raw
        for i, part in enumerate(parts[:-1]):
            if isinstance(node, list):
                match = [s for s in node if isinstance(s, dict) and s.get("name") == part]
                if not match:
                    raise ConfigError(f"--set {key}: no stage named {part!r}")
                node = match[0]
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, (dict, list)):
                    raise ConfigError(f"--set {key}: {'.'.join(parts[: i + 1])} is not a mapping")
        if isinstance(node, list):
            raise ConfigError(f"--set {key}: address a stage's key, e.g. stages.<name>.train.max_steps")
        node[parts[-1]] = _parse_scalar(value)
    return raw


def resolve_raw(raw: dict[str, Any], *, profile: str | None = None) -> dict[str, Any]:
    """Merge the profile under the pipeline dict and the per-kind defaults under each stage."""
    profile = profile or raw.get("profile")
    merged = dict(raw)
    if profile:
        prof = _read_yaml(profile_path(profile))
        unknown = set(prof) - {"model", "stage_defaults", "description", "report_to", "backend", "isolate_stages", "smoke_overrides"}
        if unknown:
            raise ConfigError(f"profile {profile}: unknown key(s) {sorted(unknown)}")
        prof.pop("description", None)
        prof.pop("smoke_overrides", None)
        merged = deep_merge(prof, {k: v for k, v in raw.items()})
        merged["profile"] = profile
    defaults = merged.get("stage_defaults") or {}
    stages = []
    for stage in merged.get("stages") or []:
        if not isinstance(stage, dict):
            raise ConfigError(f"each stage must be a mapping, got {stage!r}")
        stages.append(deep_merge(defaults.get(stage.get("kind"), {}), stage))
    merged["stages"] = stages
    return merged


def validate(raw: dict[str, Any], source: str) -> PipelineConfig:
    try:
        cfg = PipelineConfig(**raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            lines.append(f"  {where}: {err['msg']}")
        raise ConfigError(f"{source}: invalid pipeline config:\n" + "\n".join(lines)) from None
    names = [s.name for s in cfg.stages]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: stage names must be unique, got {names}")
    if not cfg.stages:
        raise ConfigError(f"{source}: no stages")
    for s in cfg.stages:
        if s.kind == "rejection_sampling" and s.sampling is None:
            s.sampling = SamplingConfig()
        if s.kind in ("grpo", "rejection_sampling") and not s.rewards:
            raise ConfigError(f"{source}: stage {s.name!r} ({s.kind}) needs 'rewards'")
    cfg.source_file = source
    return cfg


def load_pipeline_config(
    path: str | Path,
    *,
    profile: str | None = None,
    assignments: list[str] | None = None,
    smoke: bool = False,
    extra: Mapping[str, Any] | None = None,
) -> PipelineConfig:
    """Read, merge (profile, ``--set``, ``--smoke``) and validate a pipeline config."""
    path = Path(path)
    raw = _read_yaml(path)
    if extra:
        raw = deep_merge(raw, extra)
    raw = apply_overrides(raw, assignments or [])
    merged = resolve_raw(raw, profile=profile)
    if smoke:
        from rlvr_examples.smoke import apply_smoke

        merged = apply_smoke(merged)
    return validate(merged, str(path))
