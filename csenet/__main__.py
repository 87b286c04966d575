from csenet.cli import app

if __name__ == "__main__":  # a spawned worker (audit/parallel.py) imports this module again: it must not run the CLI
    app(prog_name="csenet")
