from sre_latency.cli import main

raise SystemExit(main())
