# Lets nix2dream name the file that set a value when it rejects it (a
# dependsOn naming no service, a dependency cycle, ...). The checks that
# need the whole deployment run after evaluation, where the submodule's
# `options` (and so `files`) are no longer in reach; this function keeps
# them reachable without evaluating anything until it is called.
{ lib, options, ... }:
{
  _file = toString ./definitions.nix;

  options._definitionFiles = lib.mkOption {
    type = lib.types.raw;
    internal = true;
    visible = false;
    readOnly = true;
    description = "`path: files`: the files that define the deepest option on `path` (a list of attribute names).";
  };

  config._definitionFiles = path:
    let
      deepest = opts: rest:
        if lib.isOption opts || rest == [ ] || !(opts ? ${builtins.head rest}) then opts
        else deepest opts.${builtins.head rest} (builtins.tail rest);
    in
    (deepest options path).files or [ ];
}
