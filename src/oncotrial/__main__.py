import sys

from oncotrial.cli import main

sys.exit(main())
