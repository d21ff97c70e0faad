# Miscellaneous older helpers that nixpkgs still exposes.
{ lib }:
let
  inherit (builtins) getEnv isList isAttrs attrNames head tail length;
  self = {
    # The value of an environment variable, or a default when it is unset
    # or empty.
    maybeEnv = name: default:
      let value = getEnv name;
      in if value == "" then default else value;

    ifEnable = cond: val:
      if cond then val
      else if isList val then [ ]
      else if isAttrs val then { }
      else null;

    # Merge attribute sets, combining values of common names with f.
    mergeAttrsWithFunc = f: set1: set2:
      builtins.foldl' (acc: name: acc // { ${name} = f set1.${name} set2.${name}; })
        (set1 // set2) (attrNames (builtins.intersectAttrs set1 set2));

    mergeAttrsConcatenateValues = self.mergeAttrsWithFunc (a: b: (lib.toList a) ++ (lib.toList b));

    mergeAttrsNoOverride = { mergeLists ? [ "buildInputs" "propagatedBuildInputs" ], overrideSnd ? [ "buildPhase" ] }: attrs1: attrs2:
      builtins.foldl' (acc: name:
        acc // (if !(attrs1 ? ${name}) then { ${name} = attrs2.${name}; }
        else if builtins.elem name mergeLists then { ${name} = attrs1.${name} ++ attrs2.${name}; }
        else if builtins.elem name overrideSnd then { ${name} = attrs2.${name}; }
        else throw "error mergeAttrsNoOverride, attribute ${name} given in both attributes - no merge func defined"))
        attrs1 (attrNames attrs2);

    # Keep the first occurrence of each element (by equality).
    uniqList = { inputList, acc ? [ ] }:
      if inputList == [ ] then acc
      else
        let x = head inputList;
        in self.uniqList {
          inputList = tail inputList;
          acc = if builtins.elem x acc then acc else acc ++ [ x ];
        };

    uniqListExt = { inputList, outputList ? [ ], getter ? (x: x), compare ? (a: b: a == b) }:
      if inputList == [ ] then outputList
      else
        let
          x = head inputList;
          isX = y: compare (getter y) (getter x);
          newOutputList = outputList ++ (if builtins.any isX outputList then [ ] else [ x ]);
        in
        self.uniqListExt { inputList = tail inputList; outputList = newOutputList; inherit getter compare; };

    # All packages reachable through propagatedBuildInputs.
    closePropagation = list:
      let
        key = x: x.outPath or (toString x);
        step = acc: todo:
          if todo == [ ] then acc
          else
            let
              x = head todo;
              seen = builtins.any (y: key y == key x) acc;
            in
            if seen then step acc (tail todo)
            else step (acc ++ [ x ]) (tail todo ++ (x.propagatedBuildInputs or [ ]));
      in
      step [ ] list;

    # An attribute set with one attribute.
    nvs = name: value: builtins.listToAttrs [ { inherit name value; } ];

    setAttr = all: name: value: all // { ${name} = value; };

    setAttrMerge = all: name: default: f: all // { ${name} = f (all.${name} or default); };

    # Append list elements at odd positions when `checker` accepts the
    # element before them: condConcat "x" [ c1 "a" c2 "b" ] checker.
    condConcat = name: list: checker:
      if list == [ ] then name
      else if checker (head list)
      then self.condConcat (name + builtins.elemAt list 1) (tail (tail list)) checker
      else self.condConcat name (tail (tail list)) checker;

    lazyGenericClosure = builtins.genericClosure;

    imap = lib.imap1;

    nixType = x:
      if isAttrs x then
        if x ? outPath then "derivation" else "attrs"
      else if lib.isFunction x then "function"
      else if isList x then "list"
      else if x == true then "bool"
      else if x == false then "bool"
      else if x == null then "null"
      else if builtins.isInt x then "int"
      else "string";
  };
in
self
