# The fixed cost of one element of an `attrsOf (submodule ...)`: N
# elements of a submodule with K string options (default 1), each option
# defined, every value read. With K = 1 nearly all of the time is the
# per-element evaluation (its evalModules, internal `_module` options,
# module collection, merges and checks); raising K shows the cost of one
# more option. Per-element figures: the microseconds-per-service column of
#
#   FILE=benches/submodule-elements.nix benches/modules.sh 3 2000 4000
#
# or the difference of two callgrind runs at different N.
{ n ? 1000, k ? 1 }:
let
  lib = import <nix2dream/lib>;
  inherit (lib) mkOption types genList listToAttrs nameValuePair;
  names = genList (j: "o${toString j}") k;
  element = {
    options = listToAttrs (map (o: nameValuePair o (mkOption { type = types.str; default = "x"; })) names);
  };
  e = lib.evalModules {
    modules = [
      { options.items = mkOption { type = types.attrsOf (types.submodule element); }; }
      {
        items = listToAttrs (genList (i: nameValuePair "i${toString i}"
          (listToAttrs (map (o: nameValuePair o "v${toString i}") names))) n);
      }
    ];
  };
in
lib.concatStrings (lib.mapAttrsToList (_: item: lib.concatStrings (map (o: item.${o}) names)) e.config.items)
