# Fixed points, overlays ("extensions") and extensible attribute sets.
{ lib }:
let
  self = {
    fix = f: let x = f x; in x;

    # Like fix, but remembers the function under `__unfix__`.
    fix' = f: let x = f x // { __unfix__ = f; }; in x;

    # Iterate f from x until the value no longer changes.
    converge = f: x:
      let x' = f x;
      in if x' == x then x else self.converge f x';

    # Apply an overlay `final: prev: { ... }` on top of a function of `final`.
    extends = overlay: f: final:
      let prev = f final;
      in prev // overlay final prev;

    composeExtensions = f: g: final: prev:
      let
        fApplied = f final prev;
        prev' = prev // fApplied;
      in
      fApplied // g final prev';

    composeManyExtensions = lib.foldr (x: y: self.composeExtensions x y) (final: prev: { });

    makeExtensible = self.makeExtensibleWithCustomName "extend";

    makeExtensibleWithCustomName = extenderName: rattrs:
      self.fix' (s: (rattrs s) // {
        ${extenderName} = f: self.makeExtensibleWithCustomName extenderName (self.extends f rattrs);
      });

    # Turn an attribute set, a `prev: { }` function or a `final: prev: { }`
    # function into an overlay.
    toExtension = f:
      if lib.isFunction f then
        final: prev:
          let fPrev = f prev;
          in if lib.isFunction fPrev then f final prev else fPrev
      else
        final: prev: f;
  };
in
self
