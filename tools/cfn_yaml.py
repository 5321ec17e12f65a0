"""CloudFormation YAML as data: the short tags (!Ref, !GetAtt, !Sub, ...) read as
{"Ref": ...} and {"Fn::<name>": ...}, for the tools that need a template's values (the
parameters' defaults, a function's variables), not what the tags mean."""
from __future__ import annotations

from pathlib import Path

import yaml


class CfnLoader(yaml.SafeLoader):
    """yaml.SafeLoader that knows CloudFormation's short tags."""


def _tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _tagged)


def load_template(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=CfnLoader)
