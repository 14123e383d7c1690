"""``python -m flows``: the engine from a plain shell, without the web app."""

from flows.cli import main

if __name__ == "__main__":
    main()
