from csenet.cli import app

app(prog_name="csenet")
