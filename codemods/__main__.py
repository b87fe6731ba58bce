from codemods.cli import app

app(prog_name="codemod")
