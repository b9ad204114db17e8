"""Reference stacks: deployable examples of composing the library, synthesized by app.py."""
