from mockapi.cli import main

raise SystemExit(main())
