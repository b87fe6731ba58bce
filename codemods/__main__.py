from codemods.cli import app

app()
