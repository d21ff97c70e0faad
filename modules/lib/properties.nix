# Definition properties of the module system, as plain data: conditions
# (mkIf), merges (mkMerge), priorities (mkOverride and its named levels)
# and list ordering (mkOrder). Building them needs no evalModules; the
# module system (modules.nix) interprets them and may re-export its own.
{ lib }:
let
  self = {
    defaultOverridePriority = 100;
    defaultOrderPriority = 1000;

    mkIf = condition: content: { _type = "if"; inherit condition content; };

    mkAssert = assertion: message: content:
      self.mkIf (if assertion then true else throw "\nFailed assertion: ${message}") content;

    mkMerge = contents: { _type = "merge"; inherit contents; };

    mkOverride = priority: content: { _type = "override"; inherit priority content; };

    mkOptionDefault = self.mkOverride 1500; # priority of option defaults
    mkDefault = self.mkOverride 1000; # used in config sections of non-user modules
    mkImageMediaOverride = self.mkOverride 60; # image media profiles
    mkForce = self.mkOverride 50;
    mkVMOverride = self.mkOverride 10; # used by ‘nixos-rebuild build-vm’

    mkFixStrictness = lib.warn
      "lib.mkFixStrictness has no effect and will be removed. It returns its argument unmodified, so you can just remove any calls."
      (x: x);

    mkOrder = priority: content: { _type = "order"; inherit priority content; };

    mkBefore = self.mkOrder 500;
    mkAfter = self.mkOrder 1500;
  };
in
self
