"""LocalED Warehouse: the pipeline's code."""

import os

# One BLAS thread per process: the estimators run many small matrix problems, where OpenBLAS's
# thread start-up costs more than it saves, and on a busy two-core machine it made the synthetic
# control 15 times slower. Must be set before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
