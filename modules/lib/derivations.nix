# Helpers for attribute sets that stand for derivations.
{ lib }:
let
  self = {
    # A derivation-shaped set whose name, outputs, meta and passthru are
    # available without evaluating the derivation itself.
    lazyDerivation = { derivation, meta ? null, passthru ? { }, outputs ? [ "out" ] }:
      let
        checked =
          if derivation.type or null == "derivation" then derivation
          else throw "lazyDerivation: input must be a derivation.";
        outputsCheck = if outputs == checked.outputs then checked
          else throw "lazyDerivation: the `outputs` argument does not match the derivation's outputs.";
      in
      {
        type = "derivation";
        outPath = outputsCheck.outPath;
        drvPath = outputsCheck.drvPath;
        name = outputsCheck.name;
        system = outputsCheck.system;
        inherit outputs;
        meta = if meta == null then outputsCheck.meta or { } else meta;
      }
      // lib.genAttrs outputs (o: outputsCheck.${o})
      // passthru;

    optionalDrvAttr = cond: value: if cond then value else null;

    warnOnInstantiate = msg: drv:
      let wrapped = removeAttrs drv [ "meta" "name" "type" ];
      in drv // builtins.mapAttrs (_: lib.warn msg) wrapped;
  };
in
self
