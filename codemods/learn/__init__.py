"""``codemod learn``: write a recipe from evidence instead of by hand.

- :mod:`~codemods.learn.from_examples`: from a fix made by hand (a commit, a range, or
  before/after file pairs): infer candidate steps (:mod:`~codemods.learn.infer`, and
  :mod:`~codemods.learn.patterns` for what no other step explains), keep those whose output
  reproduces the hand fix exactly (:mod:`~codemods.learn.select`; up to import order,
  :mod:`~codemods.learn.order`), list the hunks nothing explains.
- :mod:`~codemods.learn.api`: from the API change between two git revisions (griffe):
  moved and renamed modules, symbols, parameters and class attributes.
- :mod:`~codemods.learn.history`: what doctor asks when it cannot name a replacement:
  the bounded git history of one definition's file.
"""
