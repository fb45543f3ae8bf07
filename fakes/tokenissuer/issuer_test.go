package tokenissuer

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

type answer struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

func newIssuer(t *testing.T) *Issuer {
	t.Helper()
	g1, err := ParseGrant("alice:repository:team/*:pull,push")
	if err != nil {
		t.Fatal(err)
	}
	g2, _ := ParseGrant("*:repository:public:pull")
	g3, _ := ParseGrant("admin:registry:catalog:*")
	g4, _ := ParseGrant("admin:repository:**:*")
	i, err := New(WithUser("alice", "pw"), WithUser("admin", "root"), WithGrant(g1, g2, g3, g4), WithTTL(90*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// claimsOf reads a token's claims, checking the signature with the issuer's key.
func claimsOf(t *testing.T, i *Issuer, tok string) claims {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, signingAlgs)
	if err != nil {
		t.Fatal(err)
	}
	var c claims
	if err := parsed.Claims(i.pub, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIssue(t *testing.T) {
	i := newIssuer(t)
	srv := httptest.NewServer(i)
	defer srv.Close()
	get := func(user, pw string, scopes ...string) (*http.Response, answer) {
		q := url.Values{"service": {i.Service()}, "scope": scopes}
		req, _ := http.NewRequest("GET", srv.URL+"/token?"+q.Encode(), nil)
		if user != "" {
			req.SetBasicAuth(user, pw)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a answer
		_ = json.NewDecoder(resp.Body).Decode(&a)
		return resp, a
	}
	resp, a := get("alice", "pw", "repository:team/app:pull,push,delete", "repository:other:pull repository:public:pull")
	if resp.StatusCode != 200 || a.Token == "" || a.Token != a.AccessToken || a.ExpiresIn != 90 || a.IssuedAt == "" {
		t.Fatalf("%d %+v", resp.StatusCode, a)
	}
	c := claimsOf(t, i, a.Token)
	want := []Access{{"repository", "team/app", []string{"pull", "push"}}, {"repository", "public", []string{"pull"}}}
	if c.Subject != "alice" || c.Issuer != i.Name() || !c.Audience.Contains(i.Service()) || len(c.Access) != 2 ||
		!slices.Equal(c.Access[0].Actions, want[0].Actions) || c.Access[1].Name != "public" {
		t.Fatalf("claims %+v", c)
	}
	_, a = get("admin", "root", "registry:catalog:*", "repository:127.0.0.1:5000/x:delete")
	c = claimsOf(t, i, a.Token)
	if len(c.Access) != 2 || c.Access[1].Name != "127.0.0.1:5000/x" || c.Access[1].Actions[0] != "delete" {
		t.Fatalf("admin claims %+v", c.Access)
	}
	if resp, _ := get("alice", "wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if resp, _ := get("", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no credentials: %d", resp.StatusCode)
	}
	if resp, _ := get("alice", "pw", "nonsense"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad scope: %d", resp.StatusCode)
	}
	if i.Issued() != 2 || i.Refused() != 3 {
		t.Fatalf("issued %d refused %d", i.Issued(), i.Refused())
	}

	// OAuth2 password grant.
	form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"pw"}, "service": {i.Service()}, "scope": {"repository:team/x:pull"}}
	r, err := http.Post(srv.URL+"/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var pa answer
	if err := json.NewDecoder(r.Body).Decode(&pa); err != nil || r.StatusCode != 200 {
		t.Fatalf("POST %d %v", r.StatusCode, err)
	}
	if c := claimsOf(t, i, pa.AccessToken); len(c.Access) != 1 || c.Access[0].Name != "team/x" {
		t.Fatalf("POST claims %+v", c)
	}
}

func TestParseGrant(t *testing.T) {
	for _, bad := range []string{"", "alice", "alice:repository", "alice:repository:x", "alice:repository:x:", ":repository:x:pull", "a:repository:[:pull"} {
		if _, err := ParseGrant(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
