# Small general-purpose functions: combinators, booleans, numbers,
# function metadata, warnings and release information.
{ lib }:
let
  inherit (builtins) isFunction isInt isAttrs isString head tail length;

  digitsHex = [ "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "A" "B" "C" "D" "E" "F" ];
  hexValues = {
    "0" = 0; "1" = 1; "2" = 2; "3" = 3; "4" = 4; "5" = 5; "6" = 6; "7" = 7;
    "8" = 8; "9" = 9; a = 10; b = 11; c = 12; d = 13; e = 14; f = 15;
    A = 10; B = 11; C = 12; D = 13; E = 14; F = 15;
  };

  self = {
    # ---------------------------------------------------------------- basics
    id = x: x;

    const = x: _: x;

    pipe = value: fns: builtins.foldl' (acc: fn: fn acc) value fns;

    concat = a: b: a ++ b;

    "or" = a: b: a || b;
    "and" = a: b: a && b;
    xor = a: b: (a || b) && !(a && b);

    inherit (builtins) bitAnd bitOr bitXor;
    bitNot = builtins.sub (-1);

    boolToString = b: if b then "true" else "false";
    boolToYesNo = b: if b then "yes" else "no";

    mergeAttrs = a: b: a // b;

    flip = f: a: b: f b a;

    defaultTo = default: value: if value == null then default else value;

    mapNullable = f: value: if value == null then null else f value;

    # Re-exported builtins.
    inherit (builtins)
      pathExists readFile isBool isInt isFloat add sub lessThan
      seq deepSeq genericClosure;

    # ---------------------------------------------------------------- numbers
    min = a: b: if a < b then a else b;
    max = a: b: if a > b then a else b;

    # Remainder with the sign of the dividend (truncating division).
    mod = base: int: base - (int * (builtins.div base int));

    compare = a: b: if a < b then -1 else if a > b then 1 else 0;

    splitByAndCompare = p: yes: no: a: b:
      if p a then (if p b then yes a b else -1)
      else if p b then 1
      else no a b;

    # Digits of a non-negative integer in the given base, most significant first.
    toBaseDigits = base: i:
      assert isInt base;
      assert isInt i;
      assert base >= 2;
      assert i >= 0;
      let
        go = n: acc:
          if n < base then [ n ] ++ acc
          else go (n / base) ([ (n - (n / base) * base) ] ++ acc);
      in
      go i [ ];

    toHexString = i:
      lib.concatMapStrings (d: builtins.elemAt digitsHex d) (self.toBaseDigits 16 i);

    fromHexString = str:
      let
        m = builtins.match "(0x)?([0-9A-Fa-f]+)" str;
        digits = lib.stringToCharacters (builtins.elemAt m 1);
      in
      if m == null then throw "Invalid hexadecimal string: ${str}"
      else builtins.foldl' (acc: d: acc * 16 + hexValues.${d}) 0 digits;

    # ------------------------------------------------------- function metadata
    functionArgs = f:
      if f ? __functor
      then f.__functionArgs or (self.functionArgs (f.__functor f))
      else builtins.functionArgs f;

    setFunctionArgs = f: args: {
      __functor = _: f;
      __functionArgs = args;
    };

    isFunction = f: isFunction f || (f ? __functor && self.isFunction (f.__functor f));

    mirrorFunctionArgs = f:
      let fArgs = self.functionArgs f;
      in g: self.setFunctionArgs g fArgs;

    toFunction = v: if self.isFunction v then v else _: v;

    # ------------------------------------------------------ warnings, errors
    warn =
      builtins.warn or (msg: value:
        if builtins.elem (builtins.getEnv "NIX_ABORT_ON_WARN") [ "1" "true" "yes" ]
        then builtins.abort "evaluation warning: ${msg}"
        else builtins.trace "evaluation warning: ${msg}" value);

    warnIf = cond: msg: if cond then self.warn msg else x: x;

    warnIfNot = cond: msg: if cond then x: x else self.warn msg;

    throwIfNot = cond: msg: if cond then x: x else throw msg;

    throwIf = cond: msg: if cond then throw msg else x: x;

    checkListOfEnum = msg: valid: given:
      let
        unexpected = lib.subtractLists valid given;
        show = xs: builtins.concatStringsSep ", " (map toString xs);
      in
      self.throwIfNot (unexpected == [ ])
        "${msg}: ${show unexpected} unexpected; valid ones: ${show valid}";

    info = msg: builtins.trace "INFO: ${msg}";

    showWarnings = warnings: res: lib.foldr (w: x: self.warn w x) res warnings;

    # ------------------------------------------------------------ importers
    importJSON = path: builtins.fromJSON (builtins.readFile path);

    importTOML = path: builtins.fromTOML (builtins.readFile path);

    # ------------------------------------------------------------ environment
    inNixShell = builtins.getEnv "IN_NIX_SHELL" != "";

    inPureEvalMode = !(builtins ? currentSystem);

    # ---------------------------------------------------------- release info
    release = "26.05";
    codeName = "Yarara";
    versionSuffix = "pre-nix2dream";
    version = self.release + self.versionSuffix;

    nixpkgsVersion = self.warn "lib.nixpkgsVersion is a deprecated alias of lib.version." self.version;

    revisionWithDefault = default: default;

    oldestSupportedRelease = 2511;

    isInOldestRelease = release: release <= self.oldestSupportedRelease;

    oldestSupportedReleaseIsAtLeast = release: release <= self.oldestSupportedRelease;
  };
in
self
