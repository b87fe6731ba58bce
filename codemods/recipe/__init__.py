"""Recipes: YAML data validated into ordered, composed lists of configured steps."""

from codemods.recipe.loader import RecipeInfo, RecipeLoader, builtin_recipe_dir, format_path
from codemods.recipe.models import CompiledStep, FileFilter, Recipe

__all__ = [
    "CompiledStep",
    "FileFilter",
    "Recipe",
    "RecipeInfo",
    "RecipeLoader",
    "builtin_recipe_dir",
    "format_path",
]
