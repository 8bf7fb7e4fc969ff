"""`python -m profilephoto.entrypoints.cli`: the `profilephoto` command without its script."""

from profilephoto.entrypoints.cli import main

raise SystemExit(main())
