# Assertions with readable messages.
{ lib }:
let
  pretty = lib.generators.toPretty { };
  self = {
    # `assert assertMsg cond "message";` fails with "message".
    assertMsg = pred: msg: pred || builtins.throw msg;

    assertOneOf = name: val: xs:
      self.assertMsg (builtins.elem val xs)
        "${name} must be one of ${pretty xs}, but is: ${pretty val}";

    assertEachOneOf = name: vals: xs:
      self.assertMsg (builtins.all (val: builtins.elem val xs) vals)
        "each element in ${name} must be one of ${pretty xs}, but is: ${pretty vals}";

    # NixOS-style `assertions` (list of { assertion, message }) and
    # `warnings` (list of strings) checked before returning val.
    checkAssertWarn = assertions: warnings: val:
      let
        failed = map (x: x.message) (builtins.filter (x: !x.assertion) assertions);
      in
      if failed != [ ] then
        throw "\nFailed assertions:\n${builtins.concatStringsSep "\n" (map (x: "- ${x}") failed)}"
      else
        lib.showWarnings warnings val;
  };
in
self
