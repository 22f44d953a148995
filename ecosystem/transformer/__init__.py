"""The real small Transformer: ``model`` (the GPT: config dataclass, explicit attention, KV cache), ``train`` (the one
training loop, learning-rate schedule and optimiser builder, used by the probe and the bias audit) and ``corpus`` (the
PCFG corpus with its exact entropy, and ``WordTokenizer``). ``model`` and ``train`` import torch; ``corpus`` and this
package do not."""
