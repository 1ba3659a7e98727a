#!/usr/bin/env bash
# Installs the Python training stack from Debian packages (PyPI is not reachable
# in the build environment). All training scripts run with /usr/bin/python3.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3-torch python3-numpy libopenblas0-pthread
/usr/bin/python3 -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__)"
