"""python -m streamops_localstack"""

import sys

from streamops_localstack.cli import main

sys.exit(main())
