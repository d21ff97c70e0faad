# Tracing helpers and a tiny unit-test runner.
{ lib }:
let
  inherit (builtins) trace isAttrs isList isFunction;
  self = {
    traceIf = pred: msg: x: if pred then trace msg x else x;

    traceValFn = f: x: trace (f x) x;
    traceVal = self.traceValFn (x: x);

    traceSeq = x: y: trace (builtins.deepSeq x x) y;

    # Like traceSeq, but only down to the given depth.
    traceSeqN = depth: x: y:
      let
        snip = v:
          if isList v then "[…]"
          else if isAttrs v then "{…}"
          else v;
        go = d: v:
          if d == 0 then snip v
          else if isList v then map (go (d - 1)) v
          else if isAttrs v then builtins.mapAttrs (_: go (d - 1)) v
          else v;
        printable = v: if isFunction v then "<function>" else v;
      in
      trace (builtins.deepSeq (printable (go depth x)) (go depth x)) y;

    traceValSeqFn = f: v: self.traceValFn f (builtins.deepSeq v v);
    traceValSeq = self.traceValSeqFn (x: x);

    traceValSeqNFn = f: depth: v: self.traceSeqN depth (f v) v;
    traceValSeqN = self.traceValSeqNFn (x: x);

    traceFnSeqN = depth: name: f: v:
      let res = f v;
      in lib.traceSeqN (depth + 1) { fn = name; from = v; to = res; } res;

    # Run attributes named test* of the form { expr, expected }; returns the
    # failing ones as { name, expected, result }.
    runTests = tests:
      lib.concatLists (lib.attrValues (builtins.mapAttrs (name: test:
        let
          testsToRun = if tests ? tests then tests.tests else [ ];
        in
        if (lib.substring 0 4 name == "test" || builtins.elem name testsToRun)
          && ((testsToRun == [ ]) || builtins.elem name tests.tests)
          && (test.expr != test.expected)
        then [ { inherit name; expected = test.expected; result = test.expr; } ]
        else [ ]) tests));

    testAllTrue = expr: { inherit expr; expected = map (_: true) expr; };
  };
in
self
