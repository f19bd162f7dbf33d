/**
 * The tap policy pack, for `pulumi preview --policy-pack policy`. Constructing a PolicyPack starts
 * the analyzer server, so nothing else may import this file (tests use ./policies).
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("tap", { policies });
