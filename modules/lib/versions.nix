# Taking version strings apart.
{ lib }:
let
  inherit (builtins) elemAt;
  self = {
    splitVersion = builtins.splitVersion;

    major = v: elemAt (self.splitVersion v) 0;
    minor = v: elemAt (self.splitVersion v) 1;
    patch = v: elemAt (self.splitVersion v) 2;

    majorMinor = v: builtins.concatStringsSep "." (lib.take 2 (self.splitVersion v));

    # Pad (or cut) the numeric part to n components; a "-suffix" is kept.
    pad = n: version:
      let
        numeric = builtins.head (lib.splitString "-" version);
        suffix = lib.removePrefix numeric version;
        parts = self.splitVersion numeric ++ builtins.genList (_: "0") n;
      in
      builtins.concatStringsSep "." (lib.take n parts) + suffix;
  };
in
self
