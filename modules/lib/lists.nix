# Functions on lists.
{ lib }:
let
  inherit (builtins)
    head tail length elemAt genList filter elem concatLists concatMap
    foldl' isList;

  self = {
    inherit (builtins)
      head tail length isList elemAt concatLists filter elem genList map
      concatMap all any;

    singleton = x: [ x ];

    forEach = xs: f: map f xs;

    # Right fold: op x1 (op x2 (... (op xn nul))).
    foldr = op: nul: list:
      let
        len = length list;
        go = n: if n == len then nul else op (elemAt list n) (go (n + 1));
      in
      go 0;

    fold = self.foldr;

    # Left fold, lazy in the accumulator: op (... (op (op nul x1) x2) ...) xn.
    foldl = op: nul: list:
      let
        go = n: if n < 0 then nul else op (go (n - 1)) (elemAt list n);
      in
      go (length list - 1);

    # Strict left fold; also forces the initial accumulator.
    foldl' = op: acc: builtins.seq acc (foldl' op acc);

    imap0 = f: list: genList (n: f n (elemAt list n)) (length list);

    imap1 = f: list: genList (n: f (n + 1) (elemAt list n)) (length list);

    ifilter0 = ipred: input:
      map (i: elemAt input i)
        (filter (i: ipred i (elemAt input i)) (genList (i: i) (length input)));

    flatten = x: if isList x then concatMap (y: self.flatten y) x else [ x ];

    remove = e: filter (x: x != e);

    findSingle = pred: default: multiple: list:
      let
        found = filter pred list;
        n = length found;
      in
      if n == 0 then default else if n != 1 then multiple else head found;

    # Index of the first element satisfying pred, or default. Elements after
    # the first match are neither tested nor forced.
    findFirstIndex = pred: default: list:
      let
        # Encoding: a negative accumulator -k-1 means "k elements looked at,
        # none matched"; a non-negative one is the index found.
        r = foldl' (acc: x:
          if acc >= 0 then acc
          else if pred x then -acc - 1
          else acc - 1) (-1) list;
      in
      if r < 0 then default else r;

    findFirst = pred: default: list:
      let i = self.findFirstIndex pred null list;
      in if i == null then default else elemAt list i;

    count = pred: foldl' (c: x: if pred x then c + 1 else c) 0;

    optional = cond: elem: if cond then [ elem ] else [ ];

    optionals = cond: elems: if cond then elems else [ ];

    toList = x: if isList x then x else [ x ];

    range = first: last:
      if first > last then [ ] else genList (n: first + n) (last - first + 1);

    replicate = n: elem: genList (_: elem) n;

    partition = builtins.partition;

    groupBy' = op: nul: pred: lst:
      builtins.mapAttrs (_: self.foldl op nul) (self.groupBy pred lst);

    groupBy = builtins.groupBy or (pred: foldl' (r: e:
      let key = pred e;
      in r // { ${key} = (r.${key} or [ ]) ++ [ e ]; }) { });

    zipListsWith = f: fst: snd:
      genList (n: f (elemAt fst n) (elemAt snd n))
        (lib.min (length fst) (length snd));

    zipLists = self.zipListsWith (fst: snd: { inherit fst snd; });

    reverseList = xs:
      let l = length xs;
      in genList (n: elemAt xs (l - n - 1)) l;

    # Depth-first search for an element with no predecessor ("minimal")
    # according to `before`, starting from the head of the list.
    listDfs = stopOnCycles: before: list:
      let
        dfs = us: visited: rest:
          let
            loops = filter (x: before x us) visited;
            b = builtins.partition (x: before x us) rest;
          in
          if stopOnCycles && loops != [ ] then
            { cycle = us; inherit loops visited rest; }
          else if b.right == [ ] then
            { minimal = us; inherit visited rest; }
          else
            dfs (head b.right) ([ us ] ++ visited) (tail b.right ++ b.wrong);
      in
      dfs (head list) [ ] (tail list);

    toposort = before: list:
      let
        step = self.listDfs true before list;
        restSorted = self.toposort before (step.visited ++ step.rest);
      in
      if length list < 2 then { result = list; }
      else if step ? cycle then {
        cycle = self.reverseList ([ step.cycle ] ++ step.visited);
        inherit (step) loops;
      }
      else if restSorted ? cycle then restSorted
      else { result = [ step.minimal ] ++ restSorted.result; };

    sort = builtins.sort;

    sortOn = f: list:
      map (p: elemAt p 1)
        (builtins.sort (a: b: head a < head b) (map (x: [ (f x) x ]) list));

    compareLists = cmp: a: b:
      if a == [ ] then (if b == [ ] then 0 else -1)
      else if b == [ ] then 1
      else
        let rel = cmp (head a) (head b);
        in if rel == 0 then self.compareLists cmp (tail a) (tail b) else rel;

    naturalSort = lst:
      let
        vectorise = s:
          map (x: if isList x then lib.toInt (head x) else x)
            (builtins.split "(0|[1-9][0-9]*)" s);
        prepared = map (x: [ (vectorise x) x ]) lst;
        less = a: b: (self.compareLists lib.compare (head a) (head b)) < 0;
      in
      map (x: elemAt x 1) (builtins.sort less prepared);

    take = count: self.sublist 0 count;

    drop = count: list: self.sublist count (length list) list;

    takeEnd = n: xs: self.drop (lib.max 0 (length xs - n)) xs;

    dropEnd = n: xs: self.take (lib.max 0 (length xs - n)) xs;

    hasPrefix = list1: list2: self.take (length list1) list2 == list1;

    removePrefix = list1: list2:
      if self.hasPrefix list1 list2 then self.drop (length list1) list2
      else throw "lib.lists.removePrefix: First argument is not a list prefix of the second argument";

    sublist = start: count: list:
      let len = length list;
      in genList (n: elemAt list (n + start))
        (if start >= len then 0
         else if start + count > len then len - start
         else count);

    commonPrefix = list1: list2:
      let
        n = lib.min (length list1) (length list2);
        differing = self.findFirstIndex (i: elemAt list1 i != elemAt list2 i) n
          (genList (i: i) n);
      in
      self.take differing list1;

    last = list:
      assert lib.assertMsg (list != [ ]) "lists.last: list must not be empty!";
      elemAt list (length list - 1);

    init = list:
      assert lib.assertMsg (list != [ ]) "lists.init: list must not be empty!";
      self.take (length list - 1) list;

    crossLists = lib.warn
      "lib.crossLists is deprecated, use lib.mapCartesianProduct instead."
      (f: foldl' (fs: args: concatMap (g: map g args) fs) [ f ]);

    unique = foldl' (acc: e: if elem e acc then acc else acc ++ [ e ]) [ ];

    uniqueStrings = list: builtins.attrNames (builtins.groupBy (x: x) list);

    allUnique = list: length (self.unique list) == length list;

    intersectLists = e: filter (x: elem x e);

    subtractLists = e: filter (x: !(elem x e));

    mutuallyExclusive = a: b: a == [ ] || !(builtins.any (x: elem x a) b);

    replaceElemAt = list: idx: newElem:
      assert lib.assertMsg (idx >= 0 && idx < length list)
        "'lists.replaceElemAt' called with index ${toString idx} on a list of size ${toString (length list)}";
      genList (i: if i == idx then newElem else elemAt list i) (length list);
  };
in
self
