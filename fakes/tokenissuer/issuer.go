// Package tokenissuer is a small Docker token issuer for tests: the realm
// a registry with auth.token sends clients to. A client asks
// GET <realm>?service=S&scope=repository:foo/bar:pull,push with basic
// credentials (or POSTs an OAuth2 password grant, as docker login may) and
// gets {"token","access_token","expires_in","issued_at"}: a JWT signed by
// a key the issuer makes at start, granting the asked actions that the
// user's grants allow (possibly none: the registry then refuses).
package tokenissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// signingAlgs are the algorithms its tokens may carry (for parsing them back).
var signingAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.RS256}

// KeyHeader says how a token names its signing key.
type KeyHeader int

const (
	// KID puts the key's RFC 7638 thumbprint in kid (found by a registry
	// through rootcertbundle or jwks).
	KID KeyHeader = iota
	// X5C puts the signing certificate in x5c (verified up to rootcertbundle).
	X5C
	// LibtrustKID puts the libtrust key id in kid, as older issuers do.
	LibtrustKID
)

// Grant lets User (or "*": any user) have Actions ("*" for all) on the
// resources of Type ("repository" or "registry") whose name matches Name, a
// path.Match pattern ("library/*", "*" one level, "**" everything).
type Grant struct {
	User    string
	Type    string
	Name    string
	Actions []string
}

// ParseGrant reads "user:type:name:actions", e.g.
// "alice:repository:team/*:pull,push" or "admin:registry:catalog:*".
func ParseGrant(s string) (Grant, error) {
	user, rest, ok1 := strings.Cut(s, ":")
	typ, rest, ok2 := strings.Cut(rest, ":")
	i := strings.LastIndex(rest, ":")
	if !ok1 || !ok2 || i <= 0 || user == "" || typ == "" {
		return Grant{}, fmt.Errorf("grant %q: want user:type:name:actions", s)
	}
	acts := strings.Split(rest[i+1:], ",")
	if slices.Contains(acts, "") {
		return Grant{}, fmt.Errorf("grant %q: empty action", s)
	}
	if _, err := path.Match(rest[:i], ""); err != nil {
		return Grant{}, fmt.Errorf("grant %q: bad name pattern: %v", s, err)
	}
	return Grant{User: user, Type: typ, Name: rest[:i], Actions: acts}, nil
}

func (g Grant) matches(user, typ, name string) bool {
	if (g.User != "*" && g.User != user) || g.Type != typ {
		return false
	}
	if g.Name == "**" {
		return true
	}
	ok, _ := path.Match(g.Name, name)
	return ok
}

// Issuer issues tokens. It is an http.Handler (serve it at any path: the
// realm is its URL). Build it with New.
type Issuer struct {
	name, service string
	ttl           time.Duration
	keyHeader     KeyHeader
	rsaKey        bool
	now           func() time.Time

	mu     sync.Mutex
	users  map[string]string
	grants []Grant

	signer  jose.Signer
	pub     crypto.PublicKey
	cert    *x509.Certificate
	certPEM []byte
	jwks    []byte
	issued  atomic.Int64
	refused atomic.Int64
}

// Option configures an Issuer.
type Option func(*Issuer)

// WithIssuer sets the iss claim (default "hookbench-token-issuer").
func WithIssuer(name string) Option { return func(i *Issuer) { i.name = name } }

// WithService sets the only service (audience) it issues for (default
// "hookbench-registry"); a request for another service is refused.
func WithService(s string) Option { return func(i *Issuer) { i.service = s } }

// WithUser adds a user and password.
func WithUser(name, password string) Option {
	return func(i *Issuer) { i.users[name] = password }
}

// WithGrant adds grants.
func WithGrant(g ...Grant) Option { return func(i *Issuer) { i.grants = append(i.grants, g...) } }

// WithTTL sets how long tokens live (default 5 minutes).
func WithTTL(d time.Duration) Option { return func(i *Issuer) { i.ttl = d } }

// WithKeyHeader sets how tokens name their key (default KID).
func WithKeyHeader(h KeyHeader) Option { return func(i *Issuer) { i.keyHeader = h } }

// WithRSA signs with RSA-2048 and RS256 instead of P-256 and ES256.
func WithRSA() Option { return func(i *Issuer) { i.rsaKey = true } }

// WithClock sets the clock (tests of expiry).
func WithClock(now func() time.Time) Option { return func(i *Issuer) { i.now = now } }

// New makes an issuer with a fresh signing key and its self-signed
// certificate.
func New(opts ...Option) (*Issuer, error) {
	i := &Issuer{name: "hookbench-token-issuer", service: "hookbench-registry", ttl: 5 * time.Minute,
		now: time.Now, users: map[string]string{}}
	for _, o := range opts {
		o(i)
	}
	var key crypto.Signer
	alg := jose.ES256
	var err error
	if i.rsaKey {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
		alg = jose.RS256
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, err
	}
	i.pub = key.Public()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: i.name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, i.pub, key)
	if err != nil {
		return nil, err
	}
	if i.cert, err = x509.ParseCertificate(der); err != nil {
		return nil, err
	}
	i.certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	jwk := jose.JSONWebKey{Key: i.pub, Algorithm: string(alg), Use: "sig"}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	if i.jwks, err = json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}}); err != nil {
		return nil, err
	}
	so := (&jose.SignerOptions{}).WithType("JWT")
	switch i.keyHeader {
	case KID:
		so = so.WithHeader(jose.HeaderKey("kid"), jwk.KeyID)
	case LibtrustKID:
		so = so.WithHeader(jose.HeaderKey("kid"), libtrustKeyID(i.pub))
	case X5C:
		so = so.WithHeader(jose.HeaderKey("x5c"), []string{base64.StdEncoding.EncodeToString(der)})
	}
	if i.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, so); err != nil {
		return nil, err
	}
	return i, nil
}

// RootCertPEM is the certificate of the signing key: the registry's
// auth.token.rootcertbundle.
func (i *Issuer) RootCertPEM() []byte { return i.certPEM }

// JWKS is the signing key as a JSON Web Key Set: auth.token.jwks.
func (i *Issuer) JWKS() []byte { return i.jwks }

// Service is the audience its tokens carry.
func (i *Issuer) Service() string { return i.service }

// Name is the iss its tokens carry.
func (i *Issuer) Name() string { return i.name }

// Issued counts tokens issued; Refused counts requests refused (bad
// credentials or service).
func (i *Issuer) Issued() int64  { return i.issued.Load() }
func (i *Issuer) Refused() int64 { return i.refused.Load() }

// Access is one entry of a token's access claim.
type Access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

type claims struct {
	jwt.Claims
	Access []Access `json:"access"`
}

// Sign makes a token for subject with exactly access, bypassing grants
// (tests that need a token with given claims). Its times follow the clock.
func (i *Issuer) Sign(subject string, access []Access) (string, error) {
	return i.sign(subject, i.service, i.name, access)
}

func (i *Issuer) sign(subject, audience, issuer string, access []Access) (string, error) {
	now := i.now()
	c := claims{Claims: jwt.Claims{
		Issuer:    issuer,
		Subject:   subject,
		Audience:  jwt.Audience{audience},
		Expiry:    jwt.NewNumericDate(now.Add(i.ttl)),
		NotBefore: jwt.NewNumericDate(now),
		IssuedAt:  jwt.NewNumericDate(now),
		ID:        strconv.FormatInt(now.UnixNano(), 36) + strconv.FormatInt(i.issued.Load(), 36),
	}, Access: access}
	if c.Access == nil {
		c.Access = []Access{}
	}
	return jwt.Signed(i.signer).Claims(c).Serialize()
}

// SignClaims signs arbitrary claims with the issuer's key (tests of
// tokens with a wrong audience, issuer or times).
func (i *Issuer) SignClaims(c jwt.Claims, access []Access) (string, error) {
	return jwt.Signed(i.signer).Claims(claims{Claims: c, Access: access}).Serialize()
}

// parseScope reads "type:name:actions"; a name may hold colons (a host
// with a port), so the type is before the first colon and the actions
// after the last.
func parseScope(s string) (Access, bool) {
	typ, rest, ok := strings.Cut(s, ":")
	j := strings.LastIndex(rest, ":")
	if !ok || j <= 0 || typ == "" {
		return Access{}, false
	}
	return Access{Type: typ, Name: rest[:j], Actions: strings.Split(rest[j+1:], ",")}, true
}

// allowed is what user may have of what was asked.
func (i *Issuer) allowed(user string, asked []Access) []Access {
	i.mu.Lock()
	defer i.mu.Unlock()
	var out []Access
	for _, a := range asked {
		var acts []string
		for _, act := range a.Actions {
			for _, g := range i.grants {
				if g.matches(user, a.Type, a.Name) && (slices.Contains(g.Actions, act) || slices.Contains(g.Actions, "*")) {
					if !slices.Contains(acts, act) {
						acts = append(acts, act)
					}
					break
				}
			}
		}
		if len(acts) > 0 {
			out = append(out, Access{Type: a.Type, Name: a.Name, Actions: acts})
		}
	}
	return out
}

func (i *Issuer) check(user, password string) bool {
	i.mu.Lock()
	want, ok := i.users[user]
	i.mu.Unlock()
	return ok && want == password
}

// ServeHTTP answers GET with basic credentials, and POST with an OAuth2
// password grant (form username, password, service, scope).
func (i *Issuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var user, password, service string
	var scopes []string
	var ok bool
	switch r.Method {
	case http.MethodGet:
		user, password, ok = r.BasicAuth()
		q := r.URL.Query()
		service, scopes = q.Get("service"), q["scope"]
	case http.MethodPost:
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "password" {
			i.fail(w, http.StatusBadRequest, "unsupported_grant_type", "only grant_type=password is supported")
			return
		}
		user, password, ok = r.PostForm.Get("username"), r.PostForm.Get("password"), true
		service, scopes = r.PostForm.Get("service"), r.PostForm["scope"]
	default:
		i.fail(w, http.StatusMethodNotAllowed, "invalid_request", "GET or POST")
		return
	}
	if !ok || !i.check(user, password) {
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
		i.fail(w, http.StatusUnauthorized, "invalid_grant", "bad credentials")
		return
	}
	if service != "" && service != i.service {
		i.fail(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("unknown service %q", service))
		return
	}
	var asked []Access
	for _, field := range scopes {
		for _, s := range strings.Fields(field) {
			a, ok := parseScope(s)
			if !ok {
				i.fail(w, http.StatusBadRequest, "invalid_scope", fmt.Sprintf("bad scope %q", s))
				return
			}
			asked = append(asked, a)
		}
	}
	tok, err := i.sign(user, i.service, i.name, i.allowed(user, asked))
	if err != nil {
		i.fail(w, http.StatusInternalServerError, "server_error", "signing failed")
		return
	}
	i.issued.Add(1)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token":        tok,
		"access_token": tok,
		"expires_in":   int(i.ttl / time.Second),
		"issued_at":    i.now().UTC().Format(time.RFC3339),
	})
}

func (i *Issuer) fail(w http.ResponseWriter, status int, code, msg string) {
	i.refused.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": msg})
}

// libtrustKeyID is Docker libtrust's key id (kept here rather than
// imported from registry/auth: fakes stay independent of the server).
func libtrustKeyID(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	s := strings.TrimRight(base32.StdEncoding.EncodeToString(sum[:30]), "=")
	parts := make([]string, 0, len(s)/4)
	for len(s) > 0 {
		n := min(4, len(s))
		parts, s = append(parts, s[:n]), s[n:]
	}
	return strings.Join(parts, ":")
}
