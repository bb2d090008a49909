package storage

import (
	"testing"
	"time"
)

func TestErasureValidate(t *testing.T) {
	ok := Erasure{OrgID: "org_a", Kind: SubjectVisitor, SubjectID: "vis_a", Pseudonym: "anon_a", At: time.Unix(1, 0)}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid erasure refused: %v", err)
	}
	for name, mutate := range map[string]func(*Erasure){
		"unknown kind":        func(e *Erasure) { e.Kind = "robot" },
		"no organisation":     func(e *Erasure) { e.OrgID = "" },
		"no subject":          func(e *Erasure) { e.SubjectID = "" },
		"no pseudonym":        func(e *Erasure) { e.Pseudonym = "" },
		"pseudonym is the id": func(e *Erasure) { e.Pseudonym = e.SubjectID },
		"zero time":           func(e *Erasure) { e.At = time.Time{} },
	} {
		e := ok
		mutate(&e)
		if e.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
