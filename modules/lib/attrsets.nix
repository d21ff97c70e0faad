# Functions on attribute sets.
{ lib }:
let
  inherit (builtins)
    head tail length elemAt isAttrs isList attrNames attrValues listToAttrs
    mapAttrs filter concatMap foldl' hasAttr intersectAttrs;

  self = {
    inherit (builtins)
      attrNames attrValues listToAttrs hasAttr getAttr isAttrs
      intersectAttrs removeAttrs catAttrs mapAttrs;

    # ------------------------------------------------------------ paths
    attrByPath = attrPath: default: set:
      let
        n = length attrPath;
        go = i: s:
          if i == n then s
          else
            let attr = elemAt attrPath i;
            in if s ? ${attr} then go (i + 1) s.${attr} else default;
      in
      go 0 set;

    hasAttrByPath = attrPath: e:
      let
        n = length attrPath;
        go = i: s:
          i == n
          || (let attr = elemAt attrPath i;
              in if s ? ${attr} then go (i + 1) s.${attr} else false);
      in
      go 0 e;

    longestValidPathPrefix = attrPath: v:
      let
        n = length attrPath;
        go = i: s:
          if i == n then attrPath
          else
            let attr = elemAt attrPath i;
            in if s ? ${attr} then go (i + 1) s.${attr} else lib.take i attrPath;
      in
      go 0 v;

    setAttrByPath = attrPath: value:
      let
        n = length attrPath;
        go = i: if i == n then value else { ${elemAt attrPath i} = go (i + 1); };
      in
      go 0;

    getAttrFromPath = attrPath: set:
      self.attrByPath attrPath
        (abort ("cannot find attribute '" + builtins.concatStringsSep "." attrPath + "'"))
        set;

    # Apply `{ path, update }` updates; updates below a path are applied
    # before the ones at it, updates at the same path in list order.
    updateManyAttrsByPath =
      let
        go = depth: hasValue: value: updates:
          let
            here = builtins.partition (u: length u.path == depth) updates;
            nested = builtins.groupBy (u: elemAt u.path depth) here.wrong;
            withNested =
              if here.wrong == [ ] then
                (if hasValue then value
                 else throw ("updateManyAttrsByPath: Path '${self.showAttrPath (head here.right).path}' "
                   + "does not exist in the expression being updated, there's no value to update"))
              else
                (if hasValue then value else { })
                // mapAttrs (name: go (depth + 1) (value ? ${name}) value.${name}) nested;
          in
          foldl' (acc: u: u.update acc) withNested here.right;
      in
      updates: value: go 0 true value updates;

    # ------------------------------------------------------------ selection
    attrVals = nameList: set: map (x: set.${x}) nameList;

    getAttrs = names: attrs: self.genAttrs names (name: attrs.${name});

    filterAttrs = pred: set:
      listToAttrs (concatMap (name:
        let v = set.${name};
        in if pred name v then [ { inherit name; value = v; } ] else [ ]) (attrNames set));

    filterAttrsRecursive = pred: set:
      listToAttrs (concatMap (name:
        let v = set.${name};
        in if pred name v then [ {
          inherit name;
          value = if isAttrs v then self.filterAttrsRecursive pred v else v;
        } ] else [ ]) (attrNames set));

    # ------------------------------------------------------------ folds
    foldlAttrs = f: init: set: foldl' (acc: name: f acc name set.${name}) init (attrNames set);

    foldAttrs = op: nul: listOfAttrs:
      lib.foldr (n: acc:
        lib.foldr (name: o: o // { ${name} = op n.${name} (acc.${name} or nul); })
          acc (attrNames n)) { } listOfAttrs;

    collect = pred: attrs:
      if pred attrs then [ attrs ]
      else if isAttrs attrs then concatMap (self.collect pred) (attrValues attrs)
      else [ ];

    cartesianProduct = attrsOfLists:
      foldl' (acc: name:
        concatMap (partial: map (v: partial // { ${name} = v; }) attrsOfLists.${name}) acc)
        [ { } ] (attrNames attrsOfLists);

    cartesianProductOfSets = lib.warnIf (lib.oldestSupportedReleaseIsAtLeast 2405)
      "lib.cartesianProductOfSets is a deprecated alias of lib.cartesianProduct."
      self.cartesianProduct;

    mapCartesianProduct = f: attrsOfLists: map f (self.cartesianProduct attrsOfLists);

    # ------------------------------------------------------------ mapping
    nameValuePair = name: value: { inherit name value; };

    mapAttrs' = f: set: listToAttrs (map (attr: f attr set.${attr}) (attrNames set));

    mapAttrsToList = f: attrs: attrValues (mapAttrs f attrs);

    mapAttrsFlatten = lib.warn
      "lib.attrsets.mapAttrsFlatten is deprecated, use lib.attrsets.mapAttrsToList instead."
      self.mapAttrsToList;

    attrsToList = self.mapAttrsToList self.nameValuePair;

    concatMapAttrs = f: v: foldl' (a: b: a // b) { } (attrValues (mapAttrs f v));

    mapAttrsRecursive = f: set: self.mapAttrsRecursiveCond (_: true) f set;

    mapAttrsRecursiveCond = cond: f: set:
      let
        recurse = path:
          mapAttrs (name: value:
            if isAttrs value && cond value
            then recurse (path ++ [ name ]) value
            else f (path ++ [ name ]) value);
      in
      recurse [ ] set;

    mapAttrsToListRecursive = f: set: self.mapAttrsToListRecursiveCond (_: _: true) f set;

    mapAttrsToListRecursiveCond = pred: f: set:
      let
        go = path: attrs:
          lib.concatLists (lib.mapAttrsToList (name: value:
            let p = path ++ [ name ];
            in if isAttrs value && pred p value then go p value else [ (f p value) ]) attrs);
      in
      go [ ] set;

    genAttrs = names: f: listToAttrs (map (n: { name = n; value = f n; }) names);

    genAttrs' = xs: f: listToAttrs (map f xs);

    # ------------------------------------------------------------ derivations
    isDerivation = value: value.type or null == "derivation";

    toDerivation = path:
      let
        path' = builtins.storePath path;
        res = {
          type = "derivation";
          name = lib.strings.sanitizeDerivationName (builtins.substring 33 (-1) (baseNameOf path'));
          outPath = path';
          outputs = [ "out" ];
          out = res;
          outputName = "out";
        };
      in
      res;

    getOutput = output: pkg:
      if !pkg ? outputSpecified || !pkg.outputSpecified
      then pkg.${output} or pkg.out or pkg
      else pkg;

    getFirstOutput = candidates: pkg:
      let outputs = filter (name: hasAttr name pkg) candidates;
      in if pkg.outputSpecified or false || outputs == [ ] then pkg else pkg.${head outputs};

    getBin = self.getOutput "bin";
    getLib = self.getOutput "lib";
    getStatic = self.getFirstOutput [ "static" "lib" "out" ];
    getDev = self.getOutput "dev";
    getInclude = self.getFirstOutput [ "include" "dev" "out" ];
    getMan = self.getOutput "man";

    chooseDevOutputs = map self.getDev;

    recurseIntoAttrs = attrs: attrs // { recurseForDerivations = true; };

    dontRecurseIntoAttrs = attrs: attrs // { recurseForDerivations = false; };

    # ------------------------------------------------------------ combining
    optionalAttrs = cond: as: if cond then as else { };

    zipAttrsWithNames = names: f: sets:
      listToAttrs (map (name: {
        inherit name;
        value = f name (builtins.catAttrs name sets);
      }) names);

    zipAttrsWith =
      builtins.zipAttrsWith
        or (f: sets: self.zipAttrsWithNames (concatMap attrNames sets) f sets);

    zipAttrs = self.zipAttrsWith (_: values: values);

    zipWithNames = self.zipAttrsWithNames;

    zip = lib.warn "lib.zip is a deprecated alias of lib.zipAttrsWith." self.zipAttrsWith;

    mergeAttrsList = list:
      let
        merge = start: end:
          if end - start >= 2 then
            let mid = start + (end - start) / 2;
            in merge start mid // merge mid end
          else elemAt list start;
      in
      if list == [ ] then { } else merge 0 (length list);

    recursiveUpdateUntil = pred: lhs: rhs:
      let
        f = attrPath:
          builtins.zipAttrsWith (n: values:
            let here = attrPath ++ [ n ];
            in
            if length values == 1 || pred here (elemAt values 1) (head values)
            then head values
            else f here values);
      in
      f [ ] [ rhs lhs ];

    recursiveUpdate = lhs: rhs:
      self.recursiveUpdateUntil (_: l: r: !(isAttrs l && isAttrs r)) lhs rhs;

    matchAttrs = pattern: attrs:
      assert isAttrs pattern;
      builtins.all (attr:
        attrs ? ${attr}
        && (let
              l = pattern.${attr};
              r = attrs.${attr};
            in
            if isAttrs l then isAttrs r && self.matchAttrs l r else l == r))
        (attrNames pattern);

    overrideExisting = old: new: mapAttrs (name: value: new.${name} or value) old;

    showAttrPath = path:
      if path == [ ] then "<root attribute path>"
      else builtins.concatStringsSep "." (map lib.strings.escapeNixIdentifier path);

    unionOfDisjoint = x: y:
      let
        common = intersectAttrs x y;
        collisions = builtins.concatStringsSep " " (attrNames common);
        mask = mapAttrs (name: _:
          throw "unionOfDisjoint: collision on ${name}; complete list: ${collisions}") common;
      in
      (x // y) // mask;
  };
in
self
