"""migrate: TF1 -> TF2 -> PyTorch migration with numeric proof.

Importing this package (and the rewriter) never imports TensorFlow or torch.
"""

__version__ = "0.1.0"
