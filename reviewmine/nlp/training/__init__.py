"""Training and measuring the tagger: data loaders, the objective, LoRA and teachers, evaluation and the model card.

Needs the ``train`` extra (``pip install 'reviewmine[train]'``: the ``nlp`` extra plus peft); ``reviewmine eval``
needs only ``nlp``. Inference never imports this package; of its modules only `settings` loads without torch, so
the CLI can read its help defaults from `TrainSettings` at start-up.
"""
