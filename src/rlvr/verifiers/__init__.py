"""Pure judgement: an extracted answer against a reference, returning a verdict.

No I/O, no trainer imports (torch, trl, datasets, docker never imported here).
"""
